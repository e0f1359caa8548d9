# ipvsadm -Ln
