# ipvsadm -Ln --stats
