# ipvsadm -a -f 7 -6 -r [2001:db8::13]:0 -g -w 1
