# ipvsadm -Z
