import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "clients/typescript/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // process.exit belongs to the entry points only (STYLE: undici's habit); everything else throws.
      "no-process-exit": "off",
      "no-restricted-properties": [
        "error",
        { object: "process", property: "exit", message: "Only src/server.ts and src/emulator/emulator-server.ts may exit the process." },
      ],
    },
  },
  {
    files: ["src/server.ts", "src/emulator/emulator-server.ts", "scripts/**"],
    rules: { "no-restricted-properties": "off" },
  },
);
