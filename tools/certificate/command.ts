/**
 * `npm run certificate -- new --stack S [--developer D] --out DIR [--owner USER] [--at DATE] [--root DIR]`
 *
 * Run on the server that will use the certificate. It makes a key pair there, dated for the rotation that is due
 * (the stack's schedule, infra/certificateIdentity.ts), and writes:
 * - `DIR/<identity>-<rotation day>.pem`: the private key and the certificate in one PEM file, mode 0600, written
 *   atomically (common/atomicWrite.ts). That is the file azure-identity's CertificateCredential and
 *   EnvironmentCredential's AZURE_CLIENT_CERTIFICATE_PATH read ("a PEM or PKCS12 certificate file including the
 *   private key", azure/identity/_credentials/environment.py; certificate.py load_pem_certificate reads the key and
 *   the certificate from the same bytes). It never leaves the server. `--owner USER` gives it to the service's
 *   user (and that user's group): azure-identity opens it in the app's process when the credential is built
 *   (CertificateCredential.__init__ -> get_client_credential), so a root-only file fails there with PermissionError
 *   under the unit's `User=`. The command refuses, before making anything, a user that does not exist or cannot
 *   reach DIR;
 * - `DIR/stacks/certificates/<identity>/<rotation day>.pem`: the public certificate, at the path the repository
 *   keeps it, to commit through a pull request.
 *
 * A command rather than an openssl line: the dates must be the schedule's, exact to the second, and Debian 12's
 * OpenSSL 3.0 sets exact dates only through `openssl ca` and a configuration file (tools/certificate/selfSigned.ts).
 *
 * Which rotation is due: the current one when its certificate is not committed yet (a stack switching to
 * certificates, or a rotation that has begun), otherwise the next one. The certificate starts on the rotation day (or
 * now, for a rotation already begun) and ends when its slot rotates out, a lifetime after the rotation day.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomically } from "../../common/atomicWrite";
import { parseDateArgument, runCommand, UsageError } from "../../common/cliArgs";
import { firstClosedDirectory, lookupUser, NoSuchUserError, type SystemUser } from "../../common/systemUsers";
import { PROJECT_ROOT, readProject, readStackFile, StackFileError } from "../stacks/stackFiles";
import { certificateSchedule } from "../../infra/certificateIdentity";
import { certificatePath } from "../../infra/certificates";
import { ConfigError, displayNameOf, parseStackConfig } from "../../infra/config";
import { addMonths, toDay } from "../../infra/months";
import { makeSelfSigned } from "./selfSigned";

export interface NewCertificate {
    readonly identity: string;
    readonly rotationDay: string;
    readonly serverFile: string;
    readonly publicFile: string;
    readonly notBefore: Date;
    readonly notAfter: Date;
}

export interface NewCertificateOptions {
    readonly root: string;
    readonly stack: string;
    readonly developer?: string;
    readonly out: string;
    /** The service's user, who gets the server's file (mode 0600 still); unset, it stays the caller's. */
    readonly owner?: string;
    readonly now: Date;
}

/** Refused before anything is made: the owner is missing, or cannot reach the directory the file goes into. */
export class OwnerError extends Error {}

function serviceOwner(name: string, out: string): SystemUser {
    let user: SystemUser;
    try {
        user = lookupUser(name);
    } catch (error) {
        if (error instanceof NoSuchUserError) throw new OwnerError(`--owner is ${JSON.stringify(name)}: ${error.message}; nothing was written`);
        throw error;
    }
    const closed = firstClosedDirectory(join(out, "x"), user);
    if (closed !== undefined) {
        throw new OwnerError(`--owner is ${JSON.stringify(name)}, but ${closed} does not let ${name} through, so the service could not ` +
            `read its key; make the directory ${name}'s group's (sudo install -d -m 0750 -o root -g ${name} ${out}); nothing was written`);
    }
    return user;
}

export async function newCertificate(options: NewCertificateOptions): Promise<NewCertificate> {
    const project = readProject(options.root);
    const file = readStackFile(project, options.stack);
    const config = parseStackConfig(project.name, options.stack, file.config,
        { keysAsWritten: file.keysAsWritten, secretKeys: file.secretKeys });
    if (config.developers.length > 0 && options.developer === undefined) {
        throw new UsageError(`stack ${options.stack} has developers (${config.developers.join(", ")}); say whose: --developer NAME`);
    }
    if (options.developer !== undefined && !config.developers.includes(options.developer)) {
        throw new UsageError(`--developer is ${JSON.stringify(options.developer)}; expected one of stack ${options.stack}'s developers ` +
            `(${config.developers.join(", ") || "none"})`);
    }
    const owner = options.owner === undefined ? undefined : serviceOwner(options.owner, options.out);
    const identity = displayNameOf(config.appName, config.environment, options.developer);
    const schedule = certificateSchedule(config, identity, options.now);
    const currentCommitted = existsSync(join(options.root, certificatePath(identity, schedule.current.rotatedAt)));
    const rotatedAt = currentCommitted ? schedule.nextRotation : schedule.current.rotatedAt;
    // Whole seconds: X.509 times carry no fraction, and a start a fraction after now would not be valid yet.
    const notBefore = rotatedAt.getTime() > options.now.getTime() ? rotatedAt : new Date(Math.floor(options.now.getTime() / 1000) * 1000);
    const notAfter = addMonths(rotatedAt, schedule.lifetimeMonths);
    const made = makeSelfSigned({ commonName: identity, notBefore, notAfter });

    const rotationDay = toDay(rotatedAt);
    const serverFile = join(options.out, `${identity}-${rotationDay}.pem`);
    const publicFile = join(options.out, certificatePath(identity, rotatedAt));
    mkdirSync(join(publicFile, ".."), { recursive: true });
    await writeFileAtomically(serverFile, made.privateKeyPem + made.certificatePem, 0o600,
        owner === undefined ? undefined : { uid: owner.uid, gid: owner.gid });
    await writeFileAtomically(publicFile, made.certificatePem, 0o644);
    return { identity, rotationDay, serverFile, publicFile, notBefore, notAfter };
}

const USAGE = "usage: npm run certificate -- new --stack NAME [--developer NAME] --out DIR [--owner SERVICE_USER] [--at YYYY-MM-DD] [--root PROJECT_DIR]";

export async function main(argv: readonly string[]): Promise<number> {
    let options: NewCertificateOptions;
    try {
        const { values, positionals } = parseArgs({
            args: [...argv], allowPositionals: true,
            options: { stack: { type: "string" }, developer: { type: "string" }, out: { type: "string" }, at: { type: "string" },
                owner: { type: "string" }, root: { type: "string" }, help: { type: "boolean", short: "h" } },
        });
        if (values.help === true) {
            console.log(USAGE);
            return 0;
        }
        if (positionals.length !== 1 || positionals[0] !== "new") throw new UsageError(`expected the subcommand new; ${USAGE}`);
        if (values.stack === undefined) throw new UsageError("say which stack: --stack NAME");
        if (values.out === undefined) throw new UsageError("say where to write the server's file: --out DIR (on the server)");
        options = {
            root: values.root ?? PROJECT_ROOT, stack: values.stack, out: values.out,
            now: values.at === undefined ? new Date() : parseDateArgument("--at", values.at),
            ...(values.developer === undefined ? {} : { developer: values.developer }),
            ...(values.owner === undefined ? {} : { owner: values.owner }),
        };
    } catch (error) {
        console.error(`certificate: ${(error as Error).message}`);
        return 2;
    }
    try {
        const made = await newCertificate(options);
        console.log(`Made a key pair for ${made.identity}, the rotation of ${made.rotationDay}: valid ` +
            `${made.notBefore.toISOString()} to ${made.notAfter.toISOString()}.`);
        console.log(`  ${made.serverFile}  private key and certificate, mode 0600${options.owner === undefined ? "" : `, owned by ${options.owner}`}: keep it on this server; ` +
            "point AZURE_CLIENT_CERTIFICATE_PATH at it (npm run env-file -- ... --certificate-path)");
        console.log(`  ${made.publicFile}  the public certificate: commit it as ${certificatePath(made.identity, new Date(`${made.rotationDay}T00:00:00Z`))}`);
        return 0;
    } catch (error) {
        if (error instanceof UsageError || error instanceof OwnerError) {
            console.error(`certificate: ${error.message}`);
            return 2;
        }
        if (error instanceof ConfigError || error instanceof StackFileError) {
            for (const problem of error.problems) console.error(problem);
            return 1;
        }
        throw error;
    }
}

if (require.main === module) runCommand("certificate", main);
