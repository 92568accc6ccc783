#!/usr/bin/env bash
# Manage one Asterisk instance. Runs INSIDE the sandbox root (see enter.sh).
#
#   instance.sh start NAME [--stock] [--port N] [--dialplan FILE] [--overlay DIR]
#       HTTP/ARI on 127.0.0.1:N (default 8088), AMI on 127.0.0.1:N+1000.
#       --overlay copies DIR/*.conf over the sandbox configs (the sample
#       configs, say); only http.conf's bindport is then set to N.
#   instance.sh stop NAME
#   instance.sh cli NAME "command"
#
# An instance lives in /var/lib/sb/NAME with private etc/run/log/spool/lib and
# its own module directory: links to every module of the installed Asterisk,
# except that the two broadcast modules are ours (from build/) unless --stock
# is given. The installed Asterisk is the one ASTERISK_CONF describes (set by
# enter.sh): Debian's packages by default, or a release built from source.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
ASTERISK_CONF=${ASTERISK_CONF:-/etc/asterisk/asterisk.conf}
# $(system_dir astmoddir): a directory as the installed Asterisk's asterisk.conf names it
system_dir() { sed -n "s/^[[:space:]]*$1[[:space:]]*=>*[[:space:]]*//p" "$ASTERISK_CONF" | head -n1; }
PKG_MODULES=$(system_dir astmoddir)
PKG_DATA=$(system_dir astdatadir)
PKG_AGI=$(system_dir astagidir)
PKG_SBIN=$(system_dir astsbindir)
# Modules an instance never needs: SIP stacks, other channel drivers, databases.
# res_pjsip and res_pjproject stay: res_prometheus links against them (no SIP port opens).
NOLOAD_PATTERN='^(chan_(pjsip|iax2|unistim|motif|console|audiosocket|websocket|rtp)|res_pjsip_|func_pjsip|res_hep|res_config_|res_odbc|func_odbc|cdr_|cel_|res_calendar|pbx_(lua|ael|dundi|realtime)|res_phoneprov|res_xmpp|res_smdi|app_voicemail|res_stir|res_geolocation|res_fax|res_snmp|res_corosync|res_aeap|res_speech|app_jack|app_festival|res_resolver_unbound|app_sms|app_minivm)'

usage() { sed -n '2,10p' "$0" >&2; exit 2; }

dir_of() { echo "/var/lib/sb/$1"; }
conf_of() { echo "$(dir_of "$1")/etc/asterisk.conf"; }

write_configs() {
	local name=$1 port=$2 dialplan=$3 overlay=$4 dir
	dir=$(dir_of "$name")
	rm -rf "$dir/log"
	mkdir -p "$dir"/{etc,run,log,spool,lib,modules}
	for f in "$SRC"/sandbox/configs/*.conf; do
		sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" -e "s#@AMIPORT@#$((port + 1000))#g" \
			-e "s#@AGIDIR@#$PKG_AGI#g" -e "s#@SBINDIR@#$PKG_SBIN#g" \
			"$f" > "$dir/etc/$(basename "$f")"
	done
	cp "$dialplan" "$dir/etc/extensions.conf"
	if [ -n "$overlay" ]; then
		cp "$overlay"/*.conf "$dir/etc/"
		sed -i "s/^bindport *=.*/bindport = $port/" "$dir/etc/http.conf"
	fi
	{
		echo "[modules]"
		echo "autoload = yes"
		ls "$PKG_MODULES" | grep -E "$NOLOAD_PATTERN" | sed 's/^/noload => /'
	} > "$dir/etc/modules.conf"
}

# Our modules and documentation go in with "make install", as a packager's would.
link_modules() {
	local dir=$1 stock=$2 entry
	rm -rf "$dir"/modules/* "$dir/data"
	ln -s "$PKG_MODULES"/*.so "$dir/modules/"
	# A private data dir: the installed one, with a documentation dir of its own.
	mkdir -p "$dir/data/documentation/thirdparty"
	for entry in "$PKG_DATA"/*; do
		[ "$(basename "$entry")" = documentation ] || ln -s "$entry" "$dir/data/"
	done
	for entry in "$PKG_DATA"/documentation/*; do
		[ "$(basename "$entry")" = thirdparty ] || ln -s "$entry" "$dir/data/documentation/"
	done
	if [ "$stock" = 0 ]; then
		rm -f "$dir/modules/res_stasis_broadcast.so" "$dir/modules/app_stasis_broadcast.so"
		# Directories found from the instance's asterisk.conf, as on a real system.
		# (Not the C API header: that would go into the installed Asterisk.)
		make -s -C "$SRC" install DESTDIR= ASTERISK_CONF="$dir/etc/asterisk.conf" \
			API_HEADER_DIR= >/dev/null
		# The unit-test module, when built (make test-module).
		if [ -f "$SRC/build/test_stasis_broadcast.so" ]; then
			cp "$SRC/build/test_stasis_broadcast.so" "$dir/modules/"
		fi
	fi
}

start() {
	local name=$1; shift
	local stock=0 port=8088 i dialplan="$SRC/sandbox/dialplan.conf" overlay=""
	while [ $# -gt 0 ]; do
		case $1 in
		--stock) stock=1 ;;
		--port) port=$2; shift ;;
		--dialplan) dialplan=$2; shift ;;
		--overlay) overlay=$2; shift ;;
		*) usage ;;
		esac
		shift
	done
	stop "$name" 2>/dev/null || true
	write_configs "$name" "$port" "$dialplan" "$overlay"
	link_modules "$(dir_of "$name")" "$stock"
	ulimit -n 16384
	asterisk -C "$(conf_of "$name")" -g
	# The control socket appears a moment after the daemon forks.
	for i in $(seq 1 300); do
		if asterisk -C "$(conf_of "$name")" -rx "core waitfullybooted" >/dev/null 2>&1; then
			break
		fi
		[ "$i" = 300 ] && { echo "instance: $name did not boot; see $(dir_of "$name")/log/messages.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "instance: $name up on http://127.0.0.1:$port ($([ $stock = 1 ] && echo stock || echo our) modules)" >&2
}

stop() {
	local name=$1 pidfile pid i
	pidfile="$(dir_of "$name")/run/asterisk.pid"
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	asterisk -C "$(conf_of "$name")" -rx "core stop now" >/dev/null 2>&1 || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}

cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || usage
shift 2
case $cmd in
start) start "$name" "$@" ;;
stop) stop "$name" ;;
cli) asterisk -C "$(conf_of "$name")" -rx "$*" ;;
*) usage ;;
esac
