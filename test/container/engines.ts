/** The engine containers workerd started from the AudioEngine image, by id (container tier). */
import { execa } from "execa";

export async function engineContainers(): Promise<string[]> {
  const { stdout } = await execa("docker", ["ps", "--format", "{{.ID}} {{.Image}}"]);
  return stdout
    .split("\n")
    .filter((line) => /audioengine/i.test(line))
    .map((line) => line.split(" ")[0] ?? "");
}
