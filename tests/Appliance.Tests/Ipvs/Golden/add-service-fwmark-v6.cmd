# ipvsadm -A -f 7 -6 -s mh -b mh-fallback,mh-port
