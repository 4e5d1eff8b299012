import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: [
            "shared/**/*.test.ts",
            "container/**/*.test.ts",
            "scripts/**/*.test.ts",
            "test/support/**/*.test.ts",
            "test/deploy/**/*.test.ts",
            "test/repo/**/*.test.ts",
            "bench/**/*.test.ts",
          ],
        },
      },
      "worker/vitest.config.ts",
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
