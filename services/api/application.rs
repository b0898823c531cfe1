//! ApplicationService: authorise, convert, call the domain, map the error.

use tonic::{Request, Response, Status};

use super::auth::{caller, limits};
use super::convert::{application as conv, common::request_key};
use super::error::IntoStatus;
use crate::domain::ids::{ApplicationName, ProgrammeName};
use crate::domain::{Error, Grants};
use crate::proto::v1::{self, application_service_server::ApplicationService};

pub struct ApplicationApi {
    pub grants: Grants,
}

#[tonic::async_trait]
impl ApplicationService for ApplicationApi {
    async fn create_application(
        &self,
        request: Request<v1::CreateApplicationRequest>,
    ) -> Result<Response<v1::CreateApplicationResponse>, Status> {
        let caller = caller(&request)?;
        let limits = limits(&request)?;
        let message = request.into_inner();
        let key = request_key("CreateApplication", &message.request_id, &message);
        let v1::CreateApplicationRequest {
            parent,
            application,
            request_id: _,
        } = message;
        let partners = application.as_ref().map_or(0, |a| a.partner_institutions.len());
        limits.items("application.partner_institutions", partners).status()?;
        let parent = ProgrammeName::parse(&parent, "parent").status()?;
        let (input, _, _) = conv::input(application.unwrap_or_default()).status()?;
        let created = self
            .grants
            .create_application(&caller, &parent, input, key)
            .await
            .status()?;
        Ok(Response::new(v1::CreateApplicationResponse {
            application: Some(conv::output(created)),
        }))
    }

    async fn get_application(
        &self,
        request: Request<v1::GetApplicationRequest>,
    ) -> Result<Response<v1::GetApplicationResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetApplicationRequest { name } = request.into_inner();
        let name = ApplicationName::parse(&name, "name").status()?;
        let found = self.grants.get_application(&caller, &name).await.status()?;
        Ok(Response::new(v1::GetApplicationResponse {
            application: Some(conv::output(found)),
        }))
    }

    async fn list_applications(
        &self,
        request: Request<v1::ListApplicationsRequest>,
    ) -> Result<Response<v1::ListApplicationsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListApplicationsRequest {
            parent,
            page_size,
            page_token,
            filter,
        } = request.into_inner();
        let page = self
            .grants
            .list_applications(&caller, &parent, &filter, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListApplicationsResponse {
            applications: page.items.into_iter().map(conv::output).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_application(
        &self,
        request: Request<v1::UpdateApplicationRequest>,
    ) -> Result<Response<v1::UpdateApplicationResponse>, Status> {
        let caller = caller(&request)?;
        let limits = limits(&request)?;
        let message = request.into_inner();
        let key = request_key("UpdateApplication", &message.request_id, &message);
        let v1::UpdateApplicationRequest {
            application,
            update_mask,
            request_id: _,
        } = message;
        let application = application
            .ok_or_else(|| Error::invalid("application", "is required"))
            .status()?;
        limits
            .items(
                "application.partner_institutions",
                application.partner_institutions.len(),
            )
            .status()?;
        limits
            .items("update_mask.paths", update_mask.as_ref().map_or(0, |m| m.paths.len()))
            .status()?;
        let (input, name, etag) = conv::input(application).status()?;
        let name = ApplicationName::parse(&name, "application.name").status()?;
        let mask = update_mask.map(|m| m.paths).unwrap_or_default();
        let updated = self
            .grants
            .update_application(&caller, &name, &etag, input, mask, key)
            .await
            .status()?;
        Ok(Response::new(v1::UpdateApplicationResponse {
            application: Some(conv::output(updated)),
        }))
    }

    async fn submit_application(
        &self,
        request: Request<v1::SubmitApplicationRequest>,
    ) -> Result<Response<v1::SubmitApplicationResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("SubmitApplication", &message.request_id, &message);
        let v1::SubmitApplicationRequest {
            name,
            etag,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let changed = self
            .grants
            .submit_application(&caller, &name, &etag, key)
            .await
            .status()?;
        Ok(Response::new(v1::SubmitApplicationResponse {
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn withdraw_application(
        &self,
        request: Request<v1::WithdrawApplicationRequest>,
    ) -> Result<Response<v1::WithdrawApplicationResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("WithdrawApplication", &message.request_id, &message);
        let v1::WithdrawApplicationRequest {
            name,
            reason,
            etag,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let changed = self
            .grants
            .withdraw_application(&caller, &name, &reason, &etag, key)
            .await
            .status()?;
        Ok(Response::new(v1::WithdrawApplicationResponse {
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn endorse_application(
        &self,
        request: Request<v1::EndorseApplicationRequest>,
    ) -> Result<Response<v1::EndorseApplicationResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("EndorseApplication", &message.request_id, &message);
        let v1::EndorseApplicationRequest {
            name,
            etag,
            institution,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let changed = self
            .grants
            .endorse_application(&caller, &name, &etag, &institution, key)
            .await
            .status()?;
        Ok(Response::new(v1::EndorseApplicationResponse {
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn withdraw_endorsement(
        &self,
        request: Request<v1::WithdrawEndorsementRequest>,
    ) -> Result<Response<v1::WithdrawEndorsementResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("WithdrawEndorsement", &message.request_id, &message);
        let v1::WithdrawEndorsementRequest {
            name,
            institution,
            reason,
            etag,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let changed = self
            .grants
            .withdraw_endorsement(&caller, &name, &institution, &reason, &etag, key)
            .await
            .status()?;
        Ok(Response::new(v1::WithdrawEndorsementResponse {
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn list_application_events(
        &self,
        request: Request<v1::ListApplicationEventsRequest>,
    ) -> Result<Response<v1::ListApplicationEventsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListApplicationEventsRequest {
            parent,
            page_size,
            page_token,
        } = request.into_inner();
        let page = self
            .grants
            .list_events(&caller, &parent, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListApplicationEventsResponse {
            events: page.items.into_iter().map(conv::event_out).collect(),
            next_page_token: page.next_page_token,
        }))
    }
}
