#!/usr/bin/env bash
# A real server: the method's setup from the scenario (DR/TUN: `lvs-xdp realserver up`,
# NAT: the route back to the clients through the director, FULLNAT: nothing), and nginx
# answering its own name, as the namespace lab's servers do.
set -euo pipefail
# shellcheck source=lib.sh
. "${LVS_REPO:-/lvs-xdp}/vagrant/provision/lib.sh"

real_routes | while read -r to via; do
  ip route replace "$to" via "$via"
  echo "route $to via $via"
done

mapfile -t args < <(realserver_args)
if [ "${#args[@]}" -gt 0 ]; then lvs-xdp realserver up "${args[@]}"; fi

cat >/etc/nginx/sites-available/lvs-xdp <<NGINX
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    location / {
        default_type text/plain;
        return 200 "$LVS_HOST\n";
    }
}
NGINX
rm -f /etc/nginx/sites-enabled/default
ln -sf /etc/nginx/sites-available/lvs-xdp /etc/nginx/sites-enabled/lvs-xdp
nginx -t -q
systemctl restart nginx
