# ipvsadm --stop-daemon master
