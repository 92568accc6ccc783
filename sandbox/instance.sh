#!/usr/bin/env bash
# Manage one Asterisk instance. Runs INSIDE the sandbox root (see enter.sh).
#
#   instance.sh start NAME [--stock | --system-modules] [--port N] [--dialplan FILE] [--overlay DIR]
#                          [--addr A] [--sip FILE] [--minimal] [--noload MODULE]... [--absent MODULE]...
#                          [--no-docs] [--module FILE]...
#       HTTP/ARI on A:N (default 127.0.0.1:8088), AMI on A:N+1000.
#       --overlay copies DIR/*.conf over the sandbox configs (the sample
#       configs, say), templated like them; http.conf's bindport (and
#       bindaddr) is then set.
#       --minimal writes only asterisk.conf, logger.conf, modules.conf and the
#       dialplan: every other file comes from --overlay (a minimal configuration,
#       as Asterisk's own testsuite gives each test).
#       --noload adds a "noload =>" line (our modules too: load them by hand);
#       --absent leaves a module out of the module directory altogether;
#       --no-docs installs our modules without their documentation XML;
#       --module adds a module file of ours (a benchmark's, say) to the directory.
#       Our modules come from the build directory BUILD (default build/).
#       --sip loads PJSIP (chan_pjsip and the few res_pjsip_* a call needs)
#       with FILE as pjsip.conf, templated like the configs (@ADDR@ is A):
#       a SIP node of a cluster, each on its own 127.0.0.N.
#   instance.sh stop NAME
#   instance.sh cli NAME "command"
#
# An instance lives in /var/lib/sb/NAME with private etc/run/log/spool/lib and
# its own module directory: links to every module of the installed Asterisk,
# except that the two broadcast modules are ours (from build/) unless --stock
# is given. With --system-modules every module, ours too, is the one in the
# installed Asterisk's module directory, as a package put it there (tests/deb),
# and so is the third-party documentation. The installed Asterisk is the one ASTERISK_CONF describes (set by
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

# With --sip: what an inbound call over UDP needs, loaded despite the pattern above.
SIP_MODULES='^(chan_pjsip|res_pjsip_(session|pubsub|sdp_rtp|endpoint_identifier_ip|authenticator_digest|caller_id|rfc3326|dlg_options|logger))\.so$'

usage() { sed -n '2,25p' "$0" >&2; exit 2; }

dir_of() { echo "/var/lib/sb/$1"; }
conf_of() { echo "$(dir_of "$1")/etc/asterisk.conf"; }

# Infrastructure every instance has, even a minimal one.
BASE_CONFIGS="asterisk.conf logger.conf"

write_configs() {
	local name=$1 port=$2 dialplan=$3 overlay=$4 addr=$5 sip=$6 minimal=$7 noload=$8 dir f
	dir=$(dir_of "$name")
	rm -rf "$dir/log"
	mkdir -p "$dir"/{etc,run,log,spool,lib,modules}
	# template FILE: a config with this instance's values filled in
	template() {
		sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" -e "s#@AMIPORT@#$((port + 1000))#g" \
			-e "s#@ADDR@#$addr#g" -e "s#@AGIDIR@#$PKG_AGI#g" -e "s#@SBINDIR@#$PKG_SBIN#g" "$1"
	}
	rm -f "$dir"/etc/*.conf
	for f in "$SRC"/sandbox/configs/*.conf; do
		if [ -z "$minimal" ] || [[ " $BASE_CONFIGS " == *" $(basename "$f") "* ]]; then
			template "$f" > "$dir/etc/$(basename "$f")"
		fi
	done
	[ -z "$sip" ] || template "$sip" > "$dir/etc/pjsip.conf"
	cp "$dialplan" "$dir/etc/extensions.conf"
	if [ -n "$overlay" ]; then
		for f in "$overlay"/*.conf; do
			template "$f" > "$dir/etc/$(basename "$f")"
		done
		[ ! -f "$dir/etc/http.conf" ] || sed -i -e "s/^bindport *=.*/bindport = $port/" \
			-e "s/^bindaddr *=.*/bindaddr = $addr/" "$dir/etc/http.conf"
	fi
	{
		echo "[modules]"
		echo "autoload = yes"
		{
			ls "$PKG_MODULES" | grep -E "$NOLOAD_PATTERN" | { [ -z "$sip" ] && cat || grep -vE "$SIP_MODULES"; }
			for f in $noload; do echo "$f"; done
		} | sed 's/^/noload => /'
	} > "$dir/etc/modules.conf"
}

# Our modules and documentation go in with "make install", as a packager's would.
# MODULES: ours, stock or system (see above).
link_modules() {
	local dir=$1 modules=$2 absent=$3 docs=$4 entry
	rm -rf "$dir"/modules/* "$dir/data"
	ln -s "$PKG_MODULES"/*.so "$dir/modules/"
	# A private data dir: the installed one, with a documentation dir of its own
	# (but the installed one's with system modules).
	mkdir -p "$dir/data/documentation"
	for entry in "$PKG_DATA"/*; do
		[ "$(basename "$entry")" = documentation ] || ln -s "$entry" "$dir/data/"
	done
	for entry in "$PKG_DATA"/documentation/*; do
		if [ "$(basename "$entry")" != thirdparty ] || [ "$modules" = system ]; then
			ln -s "$entry" "$dir/data/documentation/"
		fi
	done
	mkdir -p "$dir/data/documentation/thirdparty"
	if [ "$modules" = ours ]; then
		rm -f "$dir/modules/res_stasis_broadcast.so" "$dir/modules/app_stasis_broadcast.so"
		# Directories found from the instance's asterisk.conf, as on a real system.
		# (Not the C API header: that would go into the installed Asterisk.)
		make -s -C "${MODULES_SRC:-$SRC}" install DESTDIR= ASTERISK_CONF="$dir/etc/asterisk.conf" \
			API_HEADER_DIR= >/dev/null
		[ -n "$docs" ] || rm -f "$dir"/data/documentation/thirdparty/res_stasis_broadcast-*.xml
		# The unit-test module, when built (make test-module).
		# (BUILD: the Makefile's build directory, build/asan for sanitized modules.)
		if [ -f "$SRC/${BUILD:-build}/test_stasis_broadcast.so" ]; then
			cp "$SRC/${BUILD:-build}/test_stasis_broadcast.so" "$dir/modules/"
		fi
	fi
	for entry in $absent; do
		rm -f "$dir/modules/$entry"
	done
}

# Start the daemon. Two hooks for memory checking, both empty by default:
#   SB_ASTERISK_ENV      NAME=value words for the asterisk process only
#                        (LD_PRELOAD of a sanitizer runtime, ASAN_OPTIONS, ...)
#   SB_ASTERISK_WRAPPER  a command that runs asterisk (valgrind ...); asterisk
#                        then stays in the foreground of the wrapper, which
#                        runs in the background, its output in log/wrapper.log
launch() {
	local name=$1 dir
	dir=$(dir_of "$name")
	if [ -n "${SB_ASTERISK_WRAPPER:-}" ]; then
		# shellcheck disable=SC2086 # words on purpose
		env ${SB_ASTERISK_ENV:-} ${SB_ASTERISK_WRAPPER} asterisk -C "$(conf_of "$name")" -f \
			</dev/null >"$dir/log/wrapper.log" 2>&1 &
	else
		# shellcheck disable=SC2086
		env ${SB_ASTERISK_ENV:-} asterisk -C "$(conf_of "$name")" -g
	fi
}

start() {
	local name=$1; shift
	local modules=ours port=8088 i dialplan="$SRC/sandbox/dialplan.conf" overlay="" addr=127.0.0.1 sip=""
	local minimal="" noload="" absent="" docs=1 extra=""
	while [ $# -gt 0 ]; do
		case $1 in
		--stock) modules=stock ;;
		--system-modules) modules=system ;;
		--port) port=$2; shift ;;
		--dialplan) dialplan=$2; shift ;;
		--overlay) overlay=$2; shift ;;
		--addr) addr=$2; shift ;;
		--sip) sip=$(readlink -f "$2"); shift ;;
		--minimal) minimal=1 ;;
		--noload) noload="$noload $2"; shift ;;
		--absent) absent="$absent $2"; shift ;;
		--no-docs) docs="" ;;
		--module) extra="$extra $(readlink -f "$2")"; shift ;;
		*) usage ;;
		esac
		shift
	done
	stop "$name" 2>/dev/null || true
	write_configs "$name" "$port" "$dialplan" "$overlay" "$addr" "$sip" "$minimal" "$noload"
	link_modules "$(dir_of "$name")" "$modules" "$absent" "$docs"
	for i in $extra; do cp "$i" "$(dir_of "$name")/modules/"; done
	ulimit -n 16384
	launch "$name"
	# The control socket appears a moment after the daemon starts.
	for i in $(seq 1 $((${SB_BOOT_SECONDS:-30} * 10))); do
		if asterisk -C "$(conf_of "$name")" -rx "core waitfullybooted" >/dev/null 2>&1; then
			break
		fi
		[ "$i" = $((${SB_BOOT_SECONDS:-30} * 10)) ] && { echo "instance: $name did not boot; see $(dir_of "$name")/log/messages.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "instance: $name up on http://$addr:$port (${modules/ours/our} modules$([ -z "$sip" ] || echo ", SIP on $addr"))" >&2
}

stop() {
	local name=$1 pidfile pid i
	pidfile="$(dir_of "$name")/run/asterisk.pid"
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	asterisk -C "$(conf_of "$name")" -rx "core stop now" >/dev/null 2>&1 || true
	# A wrapped Asterisk (valgrind) takes longer to end and to write its report.
	for i in $(seq 1 $([ -n "${SB_ASTERISK_WRAPPER:-}" ] && echo 1200 || echo 100)); do
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
