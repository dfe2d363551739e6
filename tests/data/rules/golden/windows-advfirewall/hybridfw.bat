: Windows_advfirewall in Policy
: hybridfw: Exchange hybrid inbound flows; endpoint data snapshot
: 2026-05-29
:
: $Id:$
: $Date:$
: $Revision:$
: inet
netsh advfirewall firewall add rule name=i_smtp-inbound enable=yes interfacetype=any dir=in remoteip=40.92.0.0/15,40.107.0.0/16,52.100.0.0/14,104.47.0.0/17,2a01:111:f400::/48,2a01:111:f403::/48 localip=203.0.113.10/32 localport=25 protocol=tcp action=allow
netsh advfirewall firewall add rule name=i_smtp-inbound enable=yes interfacetype=any dir=in remoteip=40.92.0.0/15,40.107.0.0/16,52.100.0.0/14,104.47.0.0/17,2a01:111:f400::/48,2a01:111:f403::/48 localip=2001:db8::10/128 localport=25 protocol=tcp action=allow
netsh advfirewall firewall add rule name=i_https-inbound enable=yes interfacetype=any dir=in remoteip=13.107.6.152/31,13.107.18.10/31,13.107.128.0/22,23.103.160.0/20,40.96.0.0/13,40.104.0.0/15,52.96.0.0/14,131.253.33.215/32,132.245.0.0/16,150.171.32.0/22,204.79.197.215/32,2603:1006::/40,2603:1016::/36,2603:1026::/36,2603:1036::/36,2603:1046::/36,2603:1056::/36,2620:1ec:4::152/127,2620:1ec:c::10/127,2620:1ec:d::10/127,2620:1ec:8f0::/46,2620:1ec:900::/46,2620:1ec:a92::152/127 localip=203.0.113.20/32 localport=443 protocol=tcp action=allow
: Windows_advfirewall out Policy
: hybridfw: Exchange hybrid outbound flows; endpoint data snapshot
: 2026-05-29
:
: $Id:$
: $Date:$
: $Revision:$
: inet
netsh advfirewall firewall add rule name=o_smtp-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,2001:db8::10/128 remoteip=40.92.0.0/15 remoteport=25 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_smtp-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,2001:db8::10/128 remoteip=40.107.0.0/16 remoteport=25 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_smtp-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,2001:db8::10/128 remoteip=52.100.0.0/14 remoteport=25 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_smtp-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,2001:db8::10/128 remoteip=104.47.0.0/17 remoteport=25 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_smtp-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,2001:db8::10/128 remoteip=2a01:111:f400::/48 remoteport=25 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_smtp-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,2001:db8::10/128 remoteip=2a01:111:f403::/48 remoteport=25 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=13.107.6.152/31 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=13.107.18.10/31 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=13.107.128.0/22 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=20.20.32.0/19 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=20.190.128.0/18 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=20.231.128.0/19 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=23.103.160.0/20 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=40.96.0.0/13 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=40.104.0.0/15 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=40.126.0.0/18 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=52.96.0.0/14 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=131.253.33.215/32 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=132.245.0.0/16 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=150.171.32.0/22 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=204.79.197.215/32 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1006::/40 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1006:2000::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1007:200::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1016::/36 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1016:1400::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1017::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1026::/36 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1026:3000::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1027:1::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1036::/36 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1036:3000::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1037:1::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1046::/36 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1046:2000::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1047:1::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1056::/36 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1056:2000::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2603:1057:2::/48 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2620:1ec:4::152/127 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2620:1ec:c::10/127 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2620:1ec:d::10/127 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2620:1ec:8f0::/46 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2620:1ec:900::/46 remoteport=443 protocol=tcp action=allow
netsh advfirewall firewall add rule name=o_https-outbound enable=yes interfacetype=any dir=out localip=203.0.113.10/32,203.0.113.20/32,2001:db8::10/128 remoteip=2620:1ec:a92::152/127 remoteport=443 protocol=tcp action=allow
