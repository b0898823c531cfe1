//! ProgrammeService: authorise, convert, call the domain, map the error.

use tonic::{Request, Response, Status};

use super::auth::{caller, limits};
use super::convert::{common::request_key, programme as conv};
use super::error::IntoStatus;
use crate::domain::ids::ProgrammeName;
use crate::domain::{Error, Grants};
use crate::proto::v1::{self, programme_service_server::ProgrammeService};

pub struct ProgrammeApi {
    pub grants: Grants,
}

#[tonic::async_trait]
impl ProgrammeService for ProgrammeApi {
    async fn create_programme(
        &self,
        request: Request<v1::CreateProgrammeRequest>,
    ) -> Result<Response<v1::CreateProgrammeResponse>, Status> {
        let caller = caller(&request)?;
        let limits = limits(&request)?;
        let message = request.into_inner();
        let key = request_key("CreateProgramme", &message.request_id, &message);
        let v1::CreateProgrammeRequest {
            programme,
            request_id: _,
        } = message;
        let regions = programme.as_ref().map_or(0, |p| p.eligible_regions.len());
        limits.items("programme.eligible_regions", regions).status()?;
        let (input, _, _) = conv::input(programme.unwrap_or_default()).status()?;
        let created = self.grants.create_programme(&caller, input, key).await.status()?;
        Ok(Response::new(v1::CreateProgrammeResponse {
            programme: Some(conv::output(created)),
        }))
    }

    async fn get_programme(
        &self,
        request: Request<v1::GetProgrammeRequest>,
    ) -> Result<Response<v1::GetProgrammeResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetProgrammeRequest { name } = request.into_inner();
        let name = ProgrammeName::parse(&name, "name").status()?;
        let found = self.grants.get_programme(&caller, &name).await.status()?;
        Ok(Response::new(v1::GetProgrammeResponse {
            programme: Some(conv::output(found)),
        }))
    }

    async fn list_programmes(
        &self,
        request: Request<v1::ListProgrammesRequest>,
    ) -> Result<Response<v1::ListProgrammesResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListProgrammesRequest {
            page_size,
            page_token,
            filter,
        } = request.into_inner();
        let page = self
            .grants
            .list_programmes(&caller, &filter, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListProgrammesResponse {
            programmes: page.items.into_iter().map(conv::output).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_programme(
        &self,
        request: Request<v1::UpdateProgrammeRequest>,
    ) -> Result<Response<v1::UpdateProgrammeResponse>, Status> {
        let caller = caller(&request)?;
        let limits = limits(&request)?;
        let message = request.into_inner();
        let key = request_key("UpdateProgramme", &message.request_id, &message);
        let v1::UpdateProgrammeRequest {
            programme,
            update_mask,
            request_id: _,
        } = message;
        let programme = programme
            .ok_or_else(|| Error::invalid("programme", "is required"))
            .status()?;
        limits
            .items("programme.eligible_regions", programme.eligible_regions.len())
            .status()?;
        limits
            .items("update_mask.paths", update_mask.as_ref().map_or(0, |m| m.paths.len()))
            .status()?;
        let (input, name, etag) = conv::input(programme).status()?;
        let name = ProgrammeName::parse(&name, "programme.name").status()?;
        let mask = update_mask.map(|m| m.paths).unwrap_or_default();
        let updated = self
            .grants
            .update_programme(&caller, &name, &etag, input, mask, key)
            .await
            .status()?;
        Ok(Response::new(v1::UpdateProgrammeResponse {
            programme: Some(conv::output(updated)),
        }))
    }
}
