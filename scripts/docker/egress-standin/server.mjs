/**
 * A STAND-IN for Cloudflare's container network sidecar (cloudflare/proxy-everything), which
 * cannot be pulled or built on this machine. workerd (`wrangler dev` with containers) starts
 * the image named by MINIFLARE_CONTAINER_EGRESS_IMAGE first and runs the app container inside
 * its network namespace. It is started as
 *   <image> --http-egress-port P --http-ingress-address 0.0.0.0:39001 --docker-gateway-cidr …
 * and workerd talks to it on the ingress address:
 *   CONNECT (header X-Dst-Addr: IP:port)  → dial that address, answer 200, relay both ways
 *                                          (this is how workerd reaches the app's port)
 *   GET /ca                               → a PEM certificate (workerd refuses to start on 404)
 *   PUT /egress (JSON)                    → 200 (egress rules; not enforced here)
 * It does NOT intercept or filter the app's outbound traffic: the app reaches the network
 * directly. So only an egress design without interception (enableInternet = true, no
 * allowedHosts) can be exercised with it; Cloudflare's interception is not tested here.
 * Plain JavaScript: it runs with the base image's Node and no dependencies.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const [host, port] = option("http-ingress-address", "0.0.0.0:39001").split(/:(?=\d+$)/);
const CA_PEM = readFileSync(new URL("./ca.pem", import.meta.url), "utf8");
const log = (msg, fields = {}) => console.log(JSON.stringify({ msg, ...fields }));

const server = createServer((req, res) => {
  log("request", { method: req.method, url: req.url });
  if (req.method === "GET" && req.url === "/ca") {
    res.writeHead(200, { "content-type": "application/x-pem-file" });
    res.end(CA_PEM);
    return;
  }
  if (req.method === "PUT" && req.url === "/egress") {
    req.resume();
    req.on("end", () => {
      res.writeHead(200);
      res.end();
    });
    return;
  }
  res.writeHead(404);
  res.end();
});

server.on("connect", (req, client, head) => {
  const target = req.headers["x-dst-addr"] ?? req.url ?? "";
  const match = /^\[?([^\]]+)\]?:(\d+)$/.exec(String(target));
  if (!match) {
    log("connect refused: no X-Dst-Addr", { target });
    client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    return;
  }
  const upstream = connect(Number(match[2]), match[1], () => {
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  // Before the app listens, workerd's connection attempts fail here; it retries.
  upstream.on("error", () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
  client.on("error", () => upstream.destroy());
});

server.listen(Number(port), host, () => log("listening", { host, port: Number(port) }));
process.on("SIGTERM", () => process.exit(0));
