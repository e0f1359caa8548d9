# ipvsadm --start-daemon master --mcast-interface eth9 --syncid 5 --sync-maxlen 1400 --mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 2
