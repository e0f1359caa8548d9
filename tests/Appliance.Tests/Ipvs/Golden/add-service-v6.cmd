# ipvsadm -A -t [2001:db8::100]:80 -s lc -p 300 -M 64
