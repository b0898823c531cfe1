//! AwardService: disbursements, usage of facility awards, and closing.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{application as conv, common::request_key};
use super::error::IntoStatus;
use crate::domain::ids::ApplicationName;
use crate::domain::{Error, Grants};
use crate::proto::v1::{self, award_service_server::AwardService};

pub struct AwardApi {
    pub grants: Grants,
}

#[tonic::async_trait]
impl AwardService for AwardApi {
    async fn record_disbursement(
        &self,
        request: Request<v1::RecordDisbursementRequest>,
    ) -> Result<Response<v1::RecordDisbursementResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("RecordDisbursement", &message.request_id, &message);
        let v1::RecordDisbursementRequest {
            parent,
            disbursement,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&parent, "parent").status()?;
        let input = conv::disbursement_in(disbursement).status()?;
        let changed = self
            .grants
            .record_disbursement(&caller, &name, input, key)
            .await
            .status()?;
        let disbursement = changed
            .disbursement
            .ok_or_else(|| Error::internal("disbursement missing from its result"))
            .status()?;
        Ok(Response::new(v1::RecordDisbursementResponse {
            disbursement: Some(conv::disbursement_out(disbursement)),
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn list_disbursements(
        &self,
        request: Request<v1::ListDisbursementsRequest>,
    ) -> Result<Response<v1::ListDisbursementsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListDisbursementsRequest {
            parent,
            page_size,
            page_token,
        } = request.into_inner();
        let name = ApplicationName::parse(&parent, "parent").status()?;
        let page = self
            .grants
            .list_disbursements(&caller, &name, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListDisbursementsResponse {
            disbursements: page.items.into_iter().map(conv::disbursement_out).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn record_usage(
        &self,
        request: Request<v1::RecordUsageRequest>,
    ) -> Result<Response<v1::RecordUsageResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("RecordUsage", &message.request_id, &message);
        let v1::RecordUsageRequest {
            parent,
            usage_record,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&parent, "parent").status()?;
        let input = conv::usage_in(usage_record).status()?;
        let changed = self.grants.record_usage(&caller, &name, input, key).await.status()?;
        let usage = changed
            .disbursement
            .ok_or_else(|| Error::internal("usage record missing from its result"))
            .status()?;
        Ok(Response::new(v1::RecordUsageResponse {
            usage_record: Some(conv::usage_out(usage)),
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn list_usage_records(
        &self,
        request: Request<v1::ListUsageRecordsRequest>,
    ) -> Result<Response<v1::ListUsageRecordsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListUsageRecordsRequest {
            parent,
            page_size,
            page_token,
        } = request.into_inner();
        let name = ApplicationName::parse(&parent, "parent").status()?;
        let page = self
            .grants
            .list_usage_records(&caller, &name, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListUsageRecordsResponse {
            usage_records: page.items.into_iter().map(conv::usage_out).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn close_grant(
        &self,
        request: Request<v1::CloseGrantRequest>,
    ) -> Result<Response<v1::CloseGrantResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("CloseGrant", &message.request_id, &message);
        let v1::CloseGrantRequest {
            name,
            reason,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let changed = self.grants.close_grant(&caller, &name, &reason, key).await.status()?;
        Ok(Response::new(v1::CloseGrantResponse {
            application: Some(conv::output(changed.application)),
        }))
    }
}
