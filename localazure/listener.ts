/**
 * The one loopback port: plain HTTP requests to `/<real host>/<real path>`, and HTTP CONNECT to `<real host>:443`
 * (what HTTPS_PROXY makes real SDK clients send), whose tunnel is handed to a TLS server holding the certificate
 * for the real hostnames, as localazure/standin/server.ts does.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { StandInRequest, StandInResponse } from "./standin/server";
import type { ServerCertificates } from "./certificates";
import type { Router } from "./router";

export interface Listener {
    readonly port: number;
    close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, response: StandInResponse & { readonly dropConnection?: boolean }): void {
    // An outage's dropped connection (localazure/misbehaviour/outage.ts): closed without a status line.
    if (response.dropConnection === true) {
        res.socket?.destroy();
        return;
    }
    // Azure always says how long a body is (no chunked encoding): some SDKs read sizes from it.
    res.writeHead(response.status, { ...response.headers, "Content-Length": String(Buffer.byteLength(response.body)) });
    res.end(response.body);
}

/** The client's address: through the CONNECT proxy, the tunnel's socket is the client's own connection. */
function peer(req: IncomingMessage): { remoteAddress?: string } {
    const address = req.socket.remoteAddress;
    return address === undefined ? {} : { remoteAddress: address };
}

export async function listen(router: Router, certificates: ServerCertificates, port: number): Promise<Listener> {
    const sockets = new Set<Socket>();
    const track = (socket: Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    };

    const tls = createHttpsServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
        void (async () => {
            const host = (req.headers.host ?? "").replace(/:\d+$/, "");
            const request: StandInRequest = {
                method: req.method ?? "GET", host, url: new URL(req.url ?? "/", `https://${host}`),
                headers: req.headers, body: await readBody(req), ...peer(req),
            };
            send(res, await router.dispatch(request));
        })();
    });

    const server = createHttpServer((req, res) => {
        void (async () => {
            const target = req.url ?? "/";
            if (!target.startsWith("/")) {
                // A plain-HTTP request through the proxy (a managed identity probe, say) goes nowhere.
                send(res, { status: 403, headers: { "content-type": "text/plain" }, body: "The local Azure proxies HTTPS only.\n" });
                return;
            }
            const [, host = "", rest = ""] = /^\/([^/?]*)(.*)$/.exec(target) ?? [];
            if (host === "") {
                send(res, { status: 200, headers: { "content-type": "text/plain" }, body: "local Azure\n" });
                return;
            }
            const request: StandInRequest = {
                method: req.method ?? "GET", host, url: new URL(rest.startsWith("/") ? rest : `/${rest}`, `https://${host}`),
                headers: req.headers, body: await readBody(req), ...peer(req),
            };
            send(res, await router.dispatch(request));
        })();
    });
    server.on("connect", (req: IncomingMessage, socket: Socket) => {
        const [host = "", tunnelPort = ""] = (req.url ?? "").split(":");
        if (tunnelPort !== "443" || !router.serves(host)) {
            socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
            return;
        }
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        tls.emit("connection", socket);
    });
    server.on("connection", track);

    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
    });
    return {
        port: (server.address() as AddressInfo).port,
        close: async () => {
            for (const socket of sockets) socket.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
            tls.close();
        },
    };
}
