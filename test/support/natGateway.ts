/**
 * A server's NAT, for clients that cannot bind their source address themselves (Python's requests through
 * HTTPS_PROXY): a loopback forwarder that takes each connection and opens it again to the local Azure's proxy from
 * `localAddress` (127.0.0.N), byte for byte, as a NAT gateway rewrites a server's outbound connections. The local
 * Azure then sees the caller as 127.0.0.N, which it models as the public address 203.0.113.N
 * (localazure/callerAddress.ts). No route or interface is changed on the machine.
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export interface NatGateway {
    /** `http://127.0.0.1:PORT`: the HTTPS_PROXY a client behind this NAT uses. */
    readonly url: string;
    stop(): Promise<void>;
}

export async function startNatGateway(upstream: string, localAddress: string): Promise<NatGateway> {
    const target = new URL(upstream);
    const sockets = new Set<Socket>();
    const track = (socket: Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    };
    const server = createServer((client) => {
        track(client);
        const onward = connect({ host: target.hostname, port: Number(target.port), localAddress });
        track(onward);
        client.pipe(onward);
        onward.pipe(client);
        onward.on("error", () => client.destroy());
        client.on("error", () => onward.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stop: async () => {
            for (const socket of sockets) socket.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
