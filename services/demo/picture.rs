//! The Greater Bay Area the demo paints: real universities with their ROR
//! ids, two Guangdong programmes open to Hong Kong and Macao and a joint
//! scheme in HKD, and projects in every state of the lifecycle. The awards
//! of the provincial programme add up to more than 300 million yuan for
//! projects of more than ten Hong Kong and Macao universities and
//! institutes, the public figure the picture is modelled on.

use crate::domain::institution::Region;

pub struct Institution {
    pub key: &'static str,
    pub display_name: &'static str,
    pub local_name: &'static str,
    pub region: Region,
    /// Empty where the demo does not claim one.
    pub ror_id: &'static str,
}

const fn inst(
    key: &'static str,
    display_name: &'static str,
    local_name: &'static str,
    region: Region,
    ror_id: &'static str,
) -> Institution {
    Institution {
        key,
        display_name,
        local_name,
        region,
        ror_id,
    }
}

pub const INSTITUTIONS: [Institution; 16] = [
    inst(
        "hku",
        "The University of Hong Kong",
        "香港大學",
        Region::HongKong,
        "02zhqgq86",
    ),
    inst(
        "cuhk",
        "The Chinese University of Hong Kong",
        "香港中文大學",
        Region::HongKong,
        "00t33hh48",
    ),
    inst(
        "hkust",
        "The Hong Kong University of Science and Technology",
        "香港科技大學",
        Region::HongKong,
        "00q4vv597",
    ),
    inst(
        "polyu",
        "The Hong Kong Polytechnic University",
        "香港理工大學",
        Region::HongKong,
        "0030zas98",
    ),
    inst(
        "cityu",
        "City University of Hong Kong",
        "香港城市大學",
        Region::HongKong,
        "03q8dnn23",
    ),
    inst(
        "hkbu",
        "Hong Kong Baptist University",
        "香港浸會大學",
        Region::HongKong,
        "0145fw131",
    ),
    inst(
        "eduhk",
        "The Education University of Hong Kong",
        "香港教育大學",
        Region::HongKong,
        "000t0f062",
    ),
    inst(
        "lingnan",
        "Lingnan University",
        "嶺南大學",
        Region::HongKong,
        "0563pg902",
    ),
    inst(
        "astri",
        "Hong Kong Applied Science and Technology Research Institute",
        "香港應用科技研究院",
        Region::HongKong,
        "",
    ),
    inst("um", "University of Macau", "澳門大學", Region::Macao, "01r4q9n85"),
    inst(
        "must",
        "Macau University of Science and Technology",
        "澳門科技大學",
        Region::Macao,
        "03jqs2n27",
    ),
    inst(
        "mpu",
        "Macao Polytechnic University",
        "澳門理工大學",
        Region::Macao,
        "05m8pzq90",
    ),
    inst(
        "sysu",
        "Sun Yat-sen University",
        "中山大学",
        Region::Guangdong,
        "0064kty71",
    ),
    inst(
        "scut",
        "South China University of Technology",
        "华南理工大学",
        Region::Guangdong,
        "0530pts50",
    ),
    inst(
        "sustech",
        "Southern University of Science and Technology",
        "南方科技大学",
        Region::Guangdong,
        "049tv2d57",
    ),
    inst("szu", "Shenzhen University", "深圳大学", Region::Guangdong, "01vy4gh70"),
];

pub struct Programme {
    pub key: &'static str,
    pub display_name: &'static str,
    pub local_name: &'static str,
    pub funder: &'static str,
    pub currency: &'static str,
    /// Whole units of the currency.
    pub budget: i64,
    pub max_award: i64,
    pub regions: &'static [Region],
    pub requires_partner: bool,
}

pub const PROGRAMMES: [Programme; 2] = [
    Programme {
        key: "provincial",
        display_name: "Guangdong Provincial Science and Technology Plan: Hong Kong and Macao Open Projects",
        local_name: "广东省科技计划港澳开放项目",
        funder: "Department of Science and Technology of Guangdong Province",
        currency: "CNY",
        budget: 420_000_000,
        max_award: 30_000_000,
        regions: &[Region::HongKong, Region::Macao],
        requires_partner: false,
    },
    Programme {
        key: "joint",
        display_name: "Guangdong–Hong Kong–Macao Joint Funding Scheme",
        local_name: "粤港澳联合资助计划",
        funder: "Guangdong Basic and Applied Basic Research Foundation",
        currency: "HKD",
        budget: 120_000_000,
        max_award: 6_000_000,
        regions: &[Region::HongKong, Region::Macao],
        requires_partner: true,
    },
];

/// Where a project of the demo ends up.
#[derive(Debug, Clone, Copy)]
pub enum Fate {
    Draft,
    Submitted,
    UnderReview,
    ChangesRequested,
    Rejected,
    Withdrawn,
    /// Awarded (whole units), not yet paid.
    Approved(i64),
    /// Awarded, and paid this much so far.
    Active(i64, i64),
    /// Awarded, paid this much, and closed.
    Closed(i64, i64),
}

pub struct Project {
    pub programme: &'static str,
    pub applicant: &'static str,
    pub partner: &'static str,
    pub title: &'static str,
    pub investigator: &'static str,
    pub requested: i64,
    pub fate: Fate,
}

const fn project(
    programme: &'static str,
    applicant: &'static str,
    partner: &'static str,
    title: &'static str,
    investigator: &'static str,
    requested: i64,
    fate: Fate,
) -> Project {
    Project {
        programme,
        applicant,
        partner,
        title,
        investigator,
        requested,
        fate,
    }
}

use Fate::*;

pub const PROJECTS: [Project; 22] = [
    project(
        "provincial",
        "hku",
        "sysu",
        "Organoid models of nasopharyngeal carcinoma",
        "Chan Tai-man",
        30_000_000,
        Active(28_500_000, 10_000_000),
    ),
    project(
        "provincial",
        "cuhk",
        "",
        "Low-altitude drone corridors for the Bay Area",
        "Wong Ka-yan",
        30_000_000,
        Active(27_000_000, 8_000_000),
    ),
    project(
        "provincial",
        "hkust",
        "",
        "Wide-bandgap power chips for electric vehicles",
        "Lee Siu-ming",
        30_000_000,
        Closed(29_000_000, 29_000_000),
    ),
    project(
        "provincial",
        "polyu",
        "scut",
        "Smart construction robotics for high-rise modular building",
        "Cheung Wai-lun",
        30_000_000,
        Active(26_800_000, 12_000_000),
    ),
    project(
        "provincial",
        "cityu",
        "",
        "Marine microplastics in the Pearl River Estuary",
        "Ho Mei-ling",
        28_000_000,
        Approved(25_600_000),
    ),
    project(
        "provincial",
        "hkbu",
        "",
        "Evidence-based Chinese medicine for chronic pain",
        "Lam Chi-keung",
        28_000_000,
        Active(24_500_000, 6_000_000),
    ),
    project(
        "provincial",
        "eduhk",
        "",
        "Bilingual early-years literacy across the Bay Area",
        "Yip Hoi-yan",
        26_000_000,
        Approved(23_900_000),
    ),
    project(
        "provincial",
        "lingnan",
        "",
        "Ageing, care and cross-border retirement",
        "Ng Kwok-wai",
        26_000_000,
        Active(24_000_000, 5_000_000),
    ),
    project(
        "provincial",
        "astri",
        "szu",
        "Trusted 6G edge computing test-bed",
        "Tsang Yuk-lan",
        30_000_000,
        Active(28_000_000, 14_000_000),
    ),
    project(
        "provincial",
        "um",
        "",
        "Traditional Chinese medicine quality markers",
        "Leong Io-kuan",
        30_000_000,
        Active(27_500_000, 9_000_000),
    ),
    project(
        "provincial",
        "must",
        "",
        "Lunar and planetary science from Macau Science 1",
        "Chao Weng-hong",
        30_000_000,
        Closed(28_000_000, 26_500_000),
    ),
    project(
        "provincial",
        "mpu",
        "",
        "Machine translation for Portuguese and Chinese",
        "Sousa Kin-man",
        26_000_000,
        Active(23_800_000, 4_000_000),
    ),
    project(
        "provincial",
        "hku",
        "",
        "Antimicrobial resistance surveillance in the delta",
        "Kwan Hiu-tung",
        20_000_000,
        UnderReview,
    ),
    project(
        "provincial",
        "cuhk",
        "",
        "Quantum-safe cross-border payments",
        "Fung Lok-yi",
        18_000_000,
        Submitted,
    ),
    project(
        "provincial",
        "cityu",
        "",
        "Typhoon-resilient coastal infrastructure",
        "Mak Tsz-hin",
        15_000_000,
        ChangesRequested,
    ),
    project(
        "provincial",
        "hkbu",
        "",
        "Film heritage of the Pearl River Delta",
        "Siu Wing-sze",
        9_000_000,
        Rejected,
    ),
    project(
        "provincial",
        "um",
        "",
        "Casino-city labour mobility",
        "Lei Sok-ian",
        8_000_000,
        Withdrawn,
    ),
    project(
        "provincial",
        "polyu",
        "",
        "Textile recycling at city scale",
        "Yuen Ka-lok",
        12_000_000,
        Draft,
    ),
    project(
        "joint",
        "hku",
        "sysu",
        "Cross-border clinical trial data commons",
        "Lau Man-kit",
        6_000_000,
        Active(5_800_000, 2_000_000),
    ),
    project(
        "joint",
        "um",
        "scut",
        "Smart grid for the Hengqin cooperation zone",
        "Ieong Chi-hou",
        5_500_000,
        Active(5_200_000, 1_500_000),
    ),
    project(
        "joint",
        "hkust",
        "sustech",
        "Bay Area air-quality digital twin",
        "Tam Chun-yu",
        6_000_000,
        Submitted,
    ),
    project(
        "joint",
        "must",
        "szu",
        "Herbal medicine standards for Macao and Guangdong",
        "Choi Sio-man",
        5_000_000,
        UnderReview,
    ),
];
