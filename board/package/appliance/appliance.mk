################################################################################
#
# appliance
#
# The binary is built by the repository's own `make` (dotnet publish, NativeAOT);
# Buildroot only installs it. The local site is the repository's out/bin.
#
################################################################################

APPLIANCE_VERSION = local
APPLIANCE_SITE = $(BR2_EXTERNAL_APPLIANCE_PATH)/../out/bin
APPLIANCE_SITE_METHOD = local
APPLIANCE_LICENSE = Proprietary

define APPLIANCE_INSTALL_TARGET_CMDS
	test -x $(@D)/appliance || { echo "appliance: run 'make' in the repository first (no out/bin/appliance)"; exit 1; }
	$(INSTALL) -D -m 0755 $(@D)/appliance $(TARGET_DIR)/usr/bin/appliance
endef

$(eval $(generic-package))
