// The generated contract, for the end-to-end test's own gRPC calls (bundled
// to e2e/.contract.mjs by dashboard.e2e.mjs).
export { AccessService, ApiKey_Role } from "../src/gen/gba/grants/v1/access_pb";
export { ApplicationService, Application_State } from "../src/gen/gba/grants/v1/application_pb";
export { AwardService } from "../src/gen/gba/grants/v1/award_pb";
export { DocumentService, DocumentKind, DocumentActivity_Kind } from "../src/gen/gba/grants/v1/document_pb";
export { InstitutionService } from "../src/gen/gba/grants/v1/institution_pb";
export { ProgrammeService } from "../src/gen/gba/grants/v1/programme_pb";
export { ReviewService } from "../src/gen/gba/grants/v1/review_pb";
export { WatchService } from "../src/gen/gba/grants/v1/watch_pb";
export { Region } from "../src/gen/gba/grants/v1/common_pb";
export { EndorsementRequirement, TeamMember_Role } from "../src/gen/gba/grants/v1/team_pb";
export { timestampFromDate } from "@bufbuild/protobuf/wkt";
