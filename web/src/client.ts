// The gRPC-Web clients of the public contract, with the API key of this tab
// (session storage only) sent as `authorization: Bearer <key>` on every call.
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AccessService } from "./gen/gba/grants/v1/access_pb";
import { ApplicationService } from "./gen/gba/grants/v1/application_pb";
import { AwardService } from "./gen/gba/grants/v1/award_pb";
import { DocumentService } from "./gen/gba/grants/v1/document_pb";
import { InstitutionService } from "./gen/gba/grants/v1/institution_pb";
import { ProgrammeService } from "./gen/gba/grants/v1/programme_pb";
import { WatchService } from "./gen/gba/grants/v1/watch_pb";

const STORAGE_KEY = "gba-grants.api-key";

export const apiKey = {
  get(): string | null {
    try {
      return sessionStorage.getItem(STORAGE_KEY);
    } catch {
      return null;
    }
  },
  set(key: string): void {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  clear(): void {
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Nothing stored.
    }
  },
};

const bearer: Interceptor = (next) => (req) => {
  const key = apiKey.get();
  if (key) req.header.set("authorization", `Bearer ${key}`);
  return next(req);
};

export function createClients(baseUrl: string) {
  const transport = createGrpcWebTransport({ baseUrl, interceptors: [bearer] });
  return {
    access: createClient(AccessService, transport),
    applications: createClient(ApplicationService, transport),
    awards: createClient(AwardService, transport),
    documents: createClient(DocumentService, transport),
    institutions: createClient(InstitutionService, transport),
    programmes: createClient(ProgrammeService, transport),
    watch: createClient(WatchService, transport),
  };
}

export type Clients = ReturnType<typeof createClients>;
