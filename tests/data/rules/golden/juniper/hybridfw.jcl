firewall {
    family inet {
        /*
         ** $Id:$
         ** $Date:$
         ** $Revision:$
         **
         ** hybridfw: Exchange hybrid inbound flows; endpoint data snapshot 2026-05-29
         */
        replace: filter hybridfw-in4 {
            interface-specific;
            /*
             ** hybridfw smtp-inbound; endpoint data snapshot 2026-05-29
             */
            term smtp-inbound {
                from {
                    source-address {
                        40.92.0.0/15;
                        40.107.0.0/16;
                        52.100.0.0/14;
                        104.47.0.0/17;
                    }
                    destination-address {
                        203.0.113.10/32;
                    }
                    protocol tcp;
                    destination-port 25;
                }
                then accept;
            }
            /*
             ** hybridfw https-inbound; endpoint data snapshot 2026-05-29
             */
            term https-inbound {
                from {
                    source-address {
                        13.107.6.152/31;
                        13.107.18.10/31;
                        13.107.128.0/22;
                        23.103.160.0/20;
                        40.96.0.0/13;
                        40.104.0.0/15;
                        52.96.0.0/14;
                        131.253.33.215/32;
                        132.245.0.0/16;
                        150.171.32.0/22;
                        204.79.197.215/32;
                    }
                    destination-address {
                        203.0.113.20/32;
                    }
                    protocol tcp;
                    destination-port 443;
                }
                then accept;
            }
        }
    }
}
firewall {
    family inet6 {
        /*
         ** $Id:$
         ** $Date:$
         ** $Revision:$
         **
         ** hybridfw: Exchange hybrid inbound flows; endpoint data snapshot 2026-05-29
         */
        replace: filter hybridfw-in6 {
            interface-specific;
            /*
             ** hybridfw smtp-inbound; endpoint data snapshot 2026-05-29
             */
            term smtp-inbound {
                from {
                    source-address {
                        2a01:111:f400::/48;
                        2a01:111:f403::/48;
                    }
                    destination-address {
                        2001:db8::10/128;
                    }
                    next-header tcp;
                    destination-port 25;
                }
                then accept;
            }
        }
    }
}
firewall {
    family inet {
        /*
         ** $Id:$
         ** $Date:$
         ** $Revision:$
         **
         ** hybridfw: Exchange hybrid outbound flows; endpoint data snapshot 2026-05-29
         */
        replace: filter hybridfw-out4 {
            interface-specific;
            /*
             ** hybridfw smtp-outbound; endpoint data snapshot 2026-05-29
             */
            term smtp-outbound {
                from {
                    source-address {
                        203.0.113.10/32;
                    }
                    destination-address {
                        40.92.0.0/15;
                        40.107.0.0/16;
                        52.100.0.0/14;
                        104.47.0.0/17;
                    }
                    protocol tcp;
                    destination-port 25;
                }
                then accept;
            }
            /*
             ** hybridfw https-outbound; endpoint data snapshot 2026-05-29
             */
            term https-outbound {
                from {
                    source-address {
                        203.0.113.10/32;
                        203.0.113.20/32;
                    }
                    destination-address {
                        13.107.6.152/31;
                        13.107.18.10/31;
                        13.107.128.0/22;
                        20.20.32.0/19;
                        20.190.128.0/18;
                        20.231.128.0/19;
                        23.103.160.0/20;
                        40.96.0.0/13;
                        40.104.0.0/15;
                        40.126.0.0/18;
                        52.96.0.0/14;
                        131.253.33.215/32;
                        132.245.0.0/16;
                        150.171.32.0/22;
                        204.79.197.215/32;
                    }
                    protocol tcp;
                    destination-port 443;
                }
                then accept;
            }
        }
    }
}
firewall {
    family inet6 {
        /*
         ** $Id:$
         ** $Date:$
         ** $Revision:$
         **
         ** hybridfw: Exchange hybrid outbound flows; endpoint data snapshot 2026-05-29
         */
        replace: filter hybridfw-out6 {
            interface-specific;
            /*
             ** hybridfw smtp-outbound; endpoint data snapshot 2026-05-29
             */
            term smtp-outbound {
                from {
                    source-address {
                        2001:db8::10/128;
                    }
                    destination-address {
                        2a01:111:f400::/48;
                        2a01:111:f403::/48;
                    }
                    next-header tcp;
                    destination-port 25;
                }
                then accept;
            }
            /*
             ** hybridfw https-outbound; endpoint data snapshot 2026-05-29
             */
            term https-outbound {
                from {
                    source-address {
                        2001:db8::10/128;
                    }
                    destination-address {
                        2603:1006::/40;
                        2603:1006:2000::/48;
                        2603:1007:200::/48;
                        2603:1016::/36;
                        2603:1016:1400::/48;
                        2603:1017::/48;
                        2603:1026::/36;
                        2603:1026:3000::/48;
                        2603:1027:1::/48;
                        2603:1036::/36;
                        2603:1036:3000::/48;
                        2603:1037:1::/48;
                        2603:1046::/36;
                        2603:1046:2000::/48;
                        2603:1047:1::/48;
                        2603:1056::/36;
                        2603:1056:2000::/48;
                        2603:1057:2::/48;
                        2620:1ec:4::152/127;
                        2620:1ec:c::10/127;
                        2620:1ec:d::10/127;
                        2620:1ec:8f0::/46;
                        2620:1ec:900::/46;
                        2620:1ec:a92::152/127;
                    }
                    next-header tcp;
                    destination-port 443;
                }
                then accept;
            }
        }
    }
}
