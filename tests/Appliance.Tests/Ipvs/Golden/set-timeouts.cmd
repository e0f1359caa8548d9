# ipvsadm --set 900 120 300
