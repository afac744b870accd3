nchan_conf() {
  local d=$1 port=$2 access="access_log off;             # as the Sluice side (--access-log=off)"
  [ "${NCHAN_ACCESS_LOG:-off}" = on ] && access="access_log $d/access.log;   # nginx's combined format, as Sluice's default text log"
  cat <<CONF
# Written by bench/run-nchan-compare.sh: a private nginx with nchan for one run, loopback only.
load_module $NCHAN_MODULE;
daemon off;
worker_processes 1;             # one worker; taskset pins it (and the master) to CPU 1
worker_rlimit_nofile 20000;     # this machine's hard limit of open files per process
pid $d/nginx.pid;
error_log $d/error.log notice;
events {
    # Connection slots, not descriptors (those stay within worker_rlimit_nofile): with 19900, nchan refused ~350 of
    # 19,000 streams ("worker_connections are not enough, reusing connections"), so slots are not one per stream.
    worker_connections 30000;
}
http {
    $access
    keepalive_requests 100000000; # Sluice closes no keep-alive connection after N requests; nginx's default is 1,000
    keepalive_timeout 75s;      # Sluice's idleTimeout
    client_body_temp_path $d/temp/client_body;
    proxy_temp_path $d/temp/proxy;
    fastcgi_temp_path $d/temp/fastcgi;
    uwsgi_temp_path $d/temp/uwsgi;
    scgi_temp_path $d/temp/scgi;
    # Messages kept as Sluice's defaults keep history: historySize 1000 per topic, historyMaxAge 1h, historyMaxBytes
    # 256MiB (nchan's defaults: 10 messages, 1h, 128M).
    nchan_message_buffer_length 1000;
    nchan_message_timeout 1h;
    nchan_shared_memory_size 256M;
    server {
        listen 127.0.0.1:$port;
        location ~ ^/pub/(.+)$ {
            nchan_publisher;
            nchan_channel_id \$1;
        }
        location ~ ^/sub/(.+)$ {
            nchan_subscriber eventsource;
            nchan_channel_id \$1;
            nchan_channel_id_split_delimiter ",";   # /sub/a,b: one multiplexed stream
            nchan_subscriber_first_message newest;   # no replay for a new stream, as Sluice without Last-Event-ID
        }
    }
}
CONF
}

# start_nchan LOG_PREFIX -> PORT, SERVER_PIDS (master,worker)
start_nchan() {
  NGINX_LOG=$1
  NGINX_DIR=$(mktemp -d /tmp/sluice-nchan-XXXXXX)
  chmod 755 "$NGINX_DIR"     # the worker runs as nginx's default unprivileged user
  mkdir -p "$NGINX_DIR/temp"
  PORT=$(free_port)
  nchan_conf "$NGINX_DIR" "$PORT" >"$NGINX_DIR/nginx.conf"
  [ -f "$OUT/nchan.conf" ] || [ "${NCHAN_ACCESS_LOG:-off}" = on ] || sed "s|$NGINX_DIR|<prefix>|g; s|127.0.0.1:$PORT|127.0.0.1:<port>|" "$NGINX_DIR/nginx.conf" >"$OUT/nchan.conf"
  taskset -c "${SERVER_CPU:-1}" nginx -p "$NGINX_DIR/" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" >"$NGINX_LOG.nginx.out" 2>&1 &
  NGINX_PID=$!
  local worker=""
  for _ in $(seq 1 100); do
    worker=$(pgrep -P "$NGINX_PID" | head -1 || true)
    if [ -n "$worker" ] && curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
      SERVER_PIDS="$NGINX_PID,$worker"
      return 0
    fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "nginx with nchan did not start" >&2; cat "$NGINX_DIR/error.log" "$NGINX_LOG.nginx.out" >&2; return 1
}

stop_nchan() {
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -TERM "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true
  fi
  NGINX_PID=""
  if [ -n "$NGINX_DIR" ]; then
    cp "$NGINX_DIR/error.log" "$NGINX_LOG.error.log" 2>/dev/null || true
    rm -rf "$NGINX_DIR"; NGINX_DIR=""
  fi
}

# ---- either server ----
