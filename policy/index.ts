// The guardrail policy pack: `pulumi preview --policy-pack policy --policy-pack-config policy/config.json`.
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("app-identity-guardrails", {
    enforcementLevel: "mandatory",
    policies: [...POLICIES],
});
