# ipvsadm -L --daemon
