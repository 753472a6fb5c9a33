/** The demo fleet's control API, as the stack started it. */

/** The fleet's service names, as its control API lists them. */
export async function fleetServices(): Promise<string[]> {
  const response = await fetch(`${process.env.FLEET_CONTROL_URL}/services`);
  const services: { name: string }[] = await response.json();
  return services.map((s) => s.name);
}

/** Tells a service how to behave: `slow`, `fail`, `down` or `normal`. */
export async function setMode(service: string, mode: "slow" | "fail" | "down" | "normal") {
  const response = await fetch(`${process.env.FLEET_CONTROL_URL}/services/${service}/${mode}`, { method: "POST" });
  if (!response.ok) throw new Error(`the fleet refused ${mode} for ${service}: ${response.status}`);
}
