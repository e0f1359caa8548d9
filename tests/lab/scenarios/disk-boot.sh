# Scenario: appliance.img boots from the disk (SeaBIOS -> syslinux MBR -> syslinux on the
# FAT partition -> vmlinuz + initramfs.gz), with the product initramfs and no lab tools,
# and the daemon reads /boot/appliance.ini. The host runner watches the console only.
#@ boot disk
#@ timeout 120
#@ expect loaded configuration from /boot/appliance.ini
