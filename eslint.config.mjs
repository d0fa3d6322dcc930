// typescript-eslint with type information (for no-floating-promises) and Pulumi's own rules.
import js from "@eslint/js";
import globals from "globals";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "coverage/", "test/fixtures/", ".venv/", ".tools/"] },
    js.configs.recommended,
    { files: ["**/*.js", "**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: globals.node } },
    ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ["**/*.ts", "**/*.mts"] })),
    {
        files: ["**/*.ts", "**/*.mts"],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-misused-promises": "error",
        },
    },
    {
        // Tests read JSON documents and untyped fixtures; an `any` there is asserted on right away.
        files: ["test/**/*.ts", "test/**/*.mts"],
        rules: {
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-call": "off",
        },
    },
    {
        // The engine glue speaks to the SDK's untyped gRPC request objects.
        files: ["tools/offline/engine.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
        },
    },
);
