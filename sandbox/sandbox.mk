# Included by the Makefile: the demo of several nodes.

# SIPp -> Kamailio -> two Asterisk nodes, agents on both, one node killed (docs/scaling.md).
.PHONY: cluster-demo
cluster-demo:
	sandbox/cluster-demo.sh
