# ipvsadm -L --timeout
