//! InstitutionService: authorise, convert, call the domain, map the error.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{common::request_key, institution as conv};
use super::error::IntoStatus;
use crate::domain::Grants;
use crate::domain::ids::InstitutionName;
use crate::proto::v1::{self, institution_service_server::InstitutionService};

pub struct InstitutionApi {
    pub grants: Grants,
}

#[tonic::async_trait]
impl InstitutionService for InstitutionApi {
    async fn create_institution(
        &self,
        request: Request<v1::CreateInstitutionRequest>,
    ) -> Result<Response<v1::CreateInstitutionResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("CreateInstitution", &message.request_id, &message);
        let v1::CreateInstitutionRequest {
            institution,
            request_id: _,
        } = message;
        let input = conv::input(institution).status()?;
        let created = self.grants.create_institution(&caller, input, key).await.status()?;
        Ok(Response::new(v1::CreateInstitutionResponse {
            institution: Some(conv::output(created)),
        }))
    }

    async fn update_institution(
        &self,
        request: Request<v1::UpdateInstitutionRequest>,
    ) -> Result<Response<v1::UpdateInstitutionResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("UpdateInstitution", &message.request_id, &message);
        let v1::UpdateInstitutionRequest {
            institution,
            update_mask,
            request_id: _,
        } = message;
        let (name, etag) = institution
            .as_ref()
            .map(|i| (i.name.clone(), i.etag.clone()))
            .unwrap_or_default();
        let name = InstitutionName::parse(&name, "institution.name").status()?;
        let input = conv::input(institution).status()?;
        let mask = update_mask.map(|m| m.paths).unwrap_or_default();
        let updated = self
            .grants
            .update_institution(&caller, &name, &etag, input, mask, key)
            .await
            .status()?;
        Ok(Response::new(v1::UpdateInstitutionResponse {
            institution: Some(conv::output(updated)),
        }))
    }

    async fn get_institution(
        &self,
        request: Request<v1::GetInstitutionRequest>,
    ) -> Result<Response<v1::GetInstitutionResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetInstitutionRequest { name } = request.into_inner();
        let name = InstitutionName::parse(&name, "name").status()?;
        let found = self.grants.get_institution(&caller, &name).await.status()?;
        Ok(Response::new(v1::GetInstitutionResponse {
            institution: Some(conv::output(found)),
        }))
    }

    async fn list_institutions(
        &self,
        request: Request<v1::ListInstitutionsRequest>,
    ) -> Result<Response<v1::ListInstitutionsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListInstitutionsRequest {
            page_size,
            page_token,
            filter,
        } = request.into_inner();
        let page = self
            .grants
            .list_institutions(&caller, &filter, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListInstitutionsResponse {
            institutions: page.items.into_iter().map(conv::output).collect(),
            next_page_token: page.next_page_token,
        }))
    }
}
