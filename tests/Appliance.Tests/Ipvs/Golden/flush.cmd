# ipvsadm -C
