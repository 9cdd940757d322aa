// A client of the server's admin API for the diagnostic commands (doctor, trace, probe):
// credentials as the stock clients take them, OS_* in the environment (source
// admin-openrc.sh) or --openrc FILE; none: noauth admin headers (auth_strategy = noauth).
import { ApiClient, readOpenrc } from '../lab/api-client.ts';

export async function serverClient(url: string, openrc: string | undefined): Promise<{ client: ApiClient; credentials: Record<string, string> | undefined }> {
  const env = openrc ? await readOpenrc(openrc) : process.env;
  const credentials = env.OS_AUTH_URL ? Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('OS_') && v !== undefined)) as Record<string, string> : undefined;
  return { client: new ApiClient({ url, credentials }), credentials };
}
