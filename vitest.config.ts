import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["shared/**/*.test.ts", "container/**/*.test.ts", "bench/**/*.test.ts"],
        },
      },
      "worker/vitest.config.ts",
    ],
  },
});
