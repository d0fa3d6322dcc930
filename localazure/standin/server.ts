/**
 * The loopback stand-in for Azure: an HTTP CONNECT proxy (what clients reach through HTTPS_PROXY) that, instead
 * of opening a tunnel to the internet, hands each connection to a TLS server in this process holding a
 * certificate for the Azure hosts. Requests are routed by host to the services registered for them.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { makeTestCertificates } from "./certificates";

export interface StandInRequest {
    readonly method: string;
    readonly host: string;
    readonly url: URL;
    readonly headers: IncomingMessage["headers"];
    readonly body: string;
    /** The TCP peer's address, where the listener knows it: what Entra judges a caller's network by (conditionalAccess.ts). */
    readonly remoteAddress?: string;
}

export interface StandInResponse {
    readonly status: number;
    readonly headers?: Record<string, string>;
    readonly body: string;
}

/** Answers the requests for one host pattern, such as `login.microsoftonline.com` or `.blob.core.windows.net`. */
export interface StandInService {
    /** Reached over plain HTTP through the proxy instead of HTTPS (IMDS, http://169.254.169.254). */
    readonly plainHttp?: boolean;
    matches(host: string): boolean;
    handle(request: StandInRequest): StandInResponse | Promise<StandInResponse>;
}

export interface RunningStandIn {
    /** `http://127.0.0.1:<port>`: the value for HTTPS_PROXY. */
    readonly proxyUrl: string;
    /** The test CA: the value for REQUESTS_CA_BUNDLE and NODE_EXTRA_CA_CERTS. */
    readonly caFile: string;
    /** Every request that reached a service, in order: what the clients really sent. */
    readonly requests: StandInRequest[];
    /** CONNECT targets that no service answers (refused). */
    readonly refusedTunnels: string[];
    stop(): Promise<void>;
}

export async function startStandIn(services: readonly StandInService[]): Promise<RunningStandIn> {
    const certificates = makeTestCertificates();
    const requests: StandInRequest[] = [];
    const refusedTunnels: string[] = [];
    const sockets = new Set<Socket>();

    const tls = createHttpsServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
        void answer(req, res);
    });

    async function answer(req: IncomingMessage, res: ServerResponse, plainHttp = false): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const host = (req.headers.host ?? "").replace(/:\d+$/, "");
        const request: StandInRequest = {
            method: req.method ?? "GET", host, url: new URL(req.url ?? "/", `https://${host}`),
            headers: req.headers, body: Buffer.concat(chunks).toString("utf8"),
        };
        requests.push(request);
        const service = services.find((candidate) => (candidate.plainHttp === true) === plainHttp && candidate.matches(host));
        const response = service === undefined
            ? { status: 502, body: `the stand-in does not serve ${host}` }
            : await service.handle(request);
        // Azure always says how long a body is; the SDKs read sizes from it (no chunked encoding).
        res.writeHead(response.status, { ...response.headers, "Content-Length": String(Buffer.byteLength(response.body)) });
        res.end(response.body);
    }

    const proxy: Server = createHttpServer((req, res) => {
        // Plain-HTTP requests through the proxy (such as a managed identity probe) go nowhere, unless a service
        // answers that host over plain HTTP (the IMDS stand-in).
        const host = (req.headers.host ?? "").replace(/:\d+$/, "");
        if (!services.some((service) => service.plainHttp === true && service.matches(host))) {
            res.writeHead(403).end("the stand-in proxies HTTPS only");
            return;
        }
        void answer(req, res, true);
    });
    proxy.on("connect", (req: IncomingMessage, socket: Socket) => {
        const [host = "", port = ""] = (req.url ?? "").split(":");
        if (port !== "443" || !services.some((service) => service.matches(host))) {
            refusedTunnels.push(req.url ?? "");
            socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
            return;
        }
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        tls.emit("connection", socket);
    });
    proxy.on("connection", (socket: Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });

    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const { port } = proxy.address() as AddressInfo;
    return {
        proxyUrl: `http://127.0.0.1:${port}`,
        caFile: certificates.caFile,
        requests,
        refusedTunnels,
        stop: async () => {
            for (const socket of sockets) socket.destroy();
            await new Promise<void>((resolve) => proxy.close(() => resolve()));
            tls.close();
        },
    };
}
