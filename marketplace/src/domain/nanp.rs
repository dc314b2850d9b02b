//! North American Numbering Plan (NANP) facts for the decision engine.
//!
//! This module answers, without allocation and in O(log n), the questions the
//! engine asks about a NANP number before a call is bought or routed:
//!
//! * which country and state/province an area code (NPA) belongs to, and the
//!   IANA time zone that is *predominant* in it ([`npa_info`]);
//! * whether an NPA is toll-free ([`is_toll_free`]);
//! * whether a central-office code (NXX) is well formed ([`is_valid_nxx`]);
//! * whether a two-letter region code is one the table knows
//!   ([`is_known_region`]).
//!
//! # Where the facts come from
//!
//! The table is compiled from NANPA's public area-code assignments (and, for
//! Canada, the Canadian Numbering Administrator's), cross-checked against the
//! public announcements of the state and provincial regulators that approved
//! each overlay. It lists every geographic area code in service in the 50
//! states, DC, Puerto Rico, the US Virgin Islands, Guam, the Northern Mariana
//! Islands and American Samoa, and in the Canadian provinces, including
//! overlays placed in service up to early 2026. An NPA that is assigned but not
//! yet in service, or that the table cannot describe with a single region, is
//! left out, so [`npa_info`] returns `None` for it.
//!
//! # Time zones
//!
//! An area code does not always follow time-zone lines. The `tz` of an entry
//! is the zone most of the area code's subscribers live in, e.g. 850 (Florida
//! Panhandle) is `America/Chicago` although Tallahassee is Eastern, 915 (El
//! Paso) is `America/Denver`, 906 (Michigan's Upper Peninsula) is
//! `America/Detroit`, 208 (Idaho) is `America/Boise`. Code that must be exact
//! for a particular number (e.g. a calling-hours rule near a zone line) needs
//! rate-centre data, which this module does not hold.
//!
//! # Deliberately absent
//!
//! * Non-geographic codes: toll-free (8XX), 900, 5XX personal/M2M codes,
//!   Canada's 600/622/633, and N11 or easily recognisable codes such as 555.
//! * 867 (Yukon, Northwest Territories and Nunavut): one code for three
//!   territories in four time zones, which an entry with one region and one
//!   zone cannot describe.
//! * The Caribbean and other non-US NANP members (e.g. 876 Jamaica, 809/829/849
//!   Dominican Republic, 345 Cayman Islands, 664 Montserrat): their ISO codes
//!   collide with US postal codes (KY, MS), so they are not given a `region`.
//!   [`Country::Other`] exists for callers that classify such numbers
//!   themselves.
//!
//! 902 and 782 serve both Nova Scotia and Prince Edward Island (one time zone);
//! the table records them as `"NS"`.

use chrono_tz::Tz;

/// Where a NANP area code is: country and two-letter region (US state / DC /
/// territory postal code, or Canadian province/territory code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NpaInfo {
    /// The area code, 200..=999.
    pub npa: u16,
    /// Country: [`Country::Us`] or [`Country::Ca`]. The table holds no
    /// [`Country::Other`] entries (see the module docs).
    pub country: Country,
    /// Two-letter postal code of the state/province/territory, e.g. "NY",
    /// "DC", "PR", "ON". Always upper case.
    pub region: &'static str,
    /// The area code's predominant IANA time zone.
    pub tz: Tz,
}

/// The NANP member country an area code belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Country {
    /// The United States, including DC and the territories PR, VI, GU, MP, AS.
    Us,
    /// Canada.
    Ca,
    /// Another NANP member (e.g. Caribbean nations). Not produced by
    /// [`npa_info`]; available to callers that classify such numbers.
    Other,
}

/// The facts for an area code, or `None` when it is not an assigned
/// geographic area code in the table (e.g. 800-series toll-free, 555, N11,
/// unassigned, or one of the codes listed as absent in the module docs).
pub fn npa_info(npa: u16) -> Option<&'static NpaInfo> {
    TABLE
        .binary_search_by_key(&npa, |info| info.npa)
        .ok()
        .map(|i| &TABLE[i])
}

/// Whether `npa` is a toll-free code (800, 833, 844, 855, 866, 877, 888).
pub fn is_toll_free(npa: u16) -> bool {
    matches!(npa, 800 | 833 | 844 | 855 | 866 | 877 | 888)
}

/// Whether a central-office code (NXX, the 3 digits after the area code) is
/// valid: first digit 2-9, and not an N11 code (211..=911 with last two
/// digits 11).
pub fn is_valid_nxx(nxx: u16) -> bool {
    (200..=999).contains(&nxx) && nxx % 100 != 11
}

/// Whether `region` (two-letter, upper-case code) is a known US state, DC or
/// US territory (PR, VI, GU, MP, AS), or Canadian province/territory code.
///
/// The match is exact: `"ny"` is not known. Canadian codes include those the
/// table has no entry for (PE, YT, NT, NU), as they are valid regions for a
/// buyer's targeting even though no area code maps to them alone.
pub fn is_known_region(region: &str) -> bool {
    US_REGIONS.contains(&region) || CA_REGIONS.contains(&region)
}

/// US states (50), DC, and the inhabited territories in the NANP.
const US_REGIONS: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "VI", "GU", "MP", "AS",
];

/// Canadian provinces and territories.
const CA_REGIONS: &[&str] = &[
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];

// Time zones used by the table.
const EASTERN: Tz = Tz::America__New_York;
const CENTRAL: Tz = Tz::America__Chicago;
const MOUNTAIN: Tz = Tz::America__Denver;
const PACIFIC: Tz = Tz::America__Los_Angeles;
const ARIZONA: Tz = Tz::America__Phoenix;
const ALASKA: Tz = Tz::America__Anchorage;
const HAWAII: Tz = Tz::Pacific__Honolulu;
const BOISE: Tz = Tz::America__Boise;
const DETROIT: Tz = Tz::America__Detroit;
const INDIANA: Tz = Tz::America__Indiana__Indianapolis;
const LOUISVILLE: Tz = Tz::America__Kentucky__Louisville;
const PUERTO_RICO: Tz = Tz::America__Puerto_Rico;
const ST_THOMAS: Tz = Tz::America__St_Thomas;
const GUAM: Tz = Tz::Pacific__Guam;
const SAIPAN: Tz = Tz::Pacific__Saipan;
const PAGO_PAGO: Tz = Tz::Pacific__Pago_Pago;
const TORONTO: Tz = Tz::America__Toronto;
const VANCOUVER: Tz = Tz::America__Vancouver;
const EDMONTON: Tz = Tz::America__Edmonton;
const WINNIPEG: Tz = Tz::America__Winnipeg;
const REGINA: Tz = Tz::America__Regina;
const HALIFAX: Tz = Tz::America__Halifax;
const MONCTON: Tz = Tz::America__Moncton;
const ST_JOHNS: Tz = Tz::America__St_Johns;

const fn us(npa: u16, region: &'static str, tz: Tz) -> NpaInfo {
    NpaInfo {
        npa,
        country: Country::Us,
        region,
        tz,
    }
}

const fn ca(npa: u16, region: &'static str, tz: Tz) -> NpaInfo {
    NpaInfo {
        npa,
        country: Country::Ca,
        region,
        tz,
    }
}

/// Every geographic area code in the table, sorted by `npa` (required by
/// [`npa_info`]'s binary search; checked by the tests).
///
/// Notes on entries whose zone is not the obvious one:
/// 850/448 FL Central (Panhandle); 915 TX Mountain (El Paso; 432 Midland-Odessa
/// is Central); 219 IN Central (Gary), the rest of Indiana Eastern; 270/364 KY
/// Central, 502 KY Louisville; 423/865 TN Eastern, the rest of Tennessee
/// Central; 906 MI Detroit; 208/986 ID Boise; 807 ON Toronto (Thunder Bay).
static TABLE: &[NpaInfo] = &[
    us(201, "NJ", EASTERN),
    us(202, "DC", EASTERN),
    us(203, "CT", EASTERN),
    ca(204, "MB", WINNIPEG),
    us(205, "AL", CENTRAL),
    us(206, "WA", PACIFIC),
    us(207, "ME", EASTERN),
    us(208, "ID", BOISE),
    us(209, "CA", PACIFIC),
    us(210, "TX", CENTRAL),
    us(212, "NY", EASTERN),
    us(213, "CA", PACIFIC),
    us(214, "TX", CENTRAL),
    us(215, "PA", EASTERN),
    us(216, "OH", EASTERN),
    us(217, "IL", CENTRAL),
    us(218, "MN", CENTRAL),
    us(219, "IN", CENTRAL),
    us(220, "OH", EASTERN),
    us(223, "PA", EASTERN),
    us(224, "IL", CENTRAL),
    us(225, "LA", CENTRAL),
    ca(226, "ON", TORONTO),
    us(227, "MD", EASTERN),
    us(228, "MS", CENTRAL),
    us(229, "GA", EASTERN),
    us(231, "MI", DETROIT),
    us(234, "OH", EASTERN),
    us(235, "MO", CENTRAL),
    ca(236, "BC", VANCOUVER),
    us(239, "FL", EASTERN),
    us(240, "MD", EASTERN),
    us(248, "MI", DETROIT),
    ca(249, "ON", TORONTO),
    ca(250, "BC", VANCOUVER),
    us(251, "AL", CENTRAL),
    us(252, "NC", EASTERN),
    us(253, "WA", PACIFIC),
    us(254, "TX", CENTRAL),
    us(256, "AL", CENTRAL),
    ca(257, "BC", VANCOUVER),
    us(260, "IN", INDIANA),
    us(262, "WI", CENTRAL),
    ca(263, "QC", TORONTO),
    us(267, "PA", EASTERN),
    us(269, "MI", DETROIT),
    us(270, "KY", CENTRAL),
    us(272, "PA", EASTERN),
    us(274, "WI", CENTRAL),
    us(276, "VA", EASTERN),
    us(279, "CA", PACIFIC),
    us(281, "TX", CENTRAL),
    us(283, "OH", EASTERN),
    ca(289, "ON", TORONTO),
    us(301, "MD", EASTERN),
    us(302, "DE", EASTERN),
    us(303, "CO", MOUNTAIN),
    us(304, "WV", EASTERN),
    us(305, "FL", EASTERN),
    ca(306, "SK", REGINA),
    us(307, "WY", MOUNTAIN),
    us(308, "NE", CENTRAL),
    us(309, "IL", CENTRAL),
    us(310, "CA", PACIFIC),
    us(312, "IL", CENTRAL),
    us(313, "MI", DETROIT),
    us(314, "MO", CENTRAL),
    us(315, "NY", EASTERN),
    us(316, "KS", CENTRAL),
    us(317, "IN", INDIANA),
    us(318, "LA", CENTRAL),
    us(319, "IA", CENTRAL),
    us(320, "MN", CENTRAL),
    us(321, "FL", EASTERN),
    us(323, "CA", PACIFIC),
    us(324, "FL", EASTERN),
    us(325, "TX", CENTRAL),
    us(326, "OH", EASTERN),
    us(327, "AR", CENTRAL),
    us(329, "NY", EASTERN),
    us(330, "OH", EASTERN),
    us(331, "IL", CENTRAL),
    us(332, "NY", EASTERN),
    us(334, "AL", CENTRAL),
    us(336, "NC", EASTERN),
    us(337, "LA", CENTRAL),
    us(339, "MA", EASTERN),
    us(340, "VI", ST_THOMAS),
    us(341, "CA", PACIFIC),
    ca(343, "ON", TORONTO),
    us(346, "TX", CENTRAL),
    us(347, "NY", EASTERN),
    us(350, "CA", PACIFIC),
    us(351, "MA", EASTERN),
    us(352, "FL", EASTERN),
    us(353, "WI", CENTRAL),
    ca(354, "QC", TORONTO),
    us(360, "WA", PACIFIC),
    us(361, "TX", CENTRAL),
    us(363, "NY", EASTERN),
    us(364, "KY", CENTRAL),
    ca(365, "ON", TORONTO),
    ca(367, "QC", TORONTO),
    ca(368, "AB", EDMONTON),
    us(369, "CA", PACIFIC),
    us(380, "OH", EASTERN),
    ca(382, "ON", TORONTO),
    us(385, "UT", MOUNTAIN),
    us(386, "FL", EASTERN),
    us(401, "RI", EASTERN),
    us(402, "NE", CENTRAL),
    ca(403, "AB", EDMONTON),
    us(404, "GA", EASTERN),
    us(405, "OK", CENTRAL),
    us(406, "MT", MOUNTAIN),
    us(407, "FL", EASTERN),
    us(408, "CA", PACIFIC),
    us(409, "TX", CENTRAL),
    us(410, "MD", EASTERN),
    us(412, "PA", EASTERN),
    us(413, "MA", EASTERN),
    us(414, "WI", CENTRAL),
    us(415, "CA", PACIFIC),
    ca(416, "ON", TORONTO),
    us(417, "MO", CENTRAL),
    ca(418, "QC", TORONTO),
    us(419, "OH", EASTERN),
    us(423, "TN", EASTERN),
    us(424, "CA", PACIFIC),
    us(425, "WA", PACIFIC),
    ca(428, "NB", MONCTON),
    us(430, "TX", CENTRAL),
    ca(431, "MB", WINNIPEG),
    us(432, "TX", CENTRAL),
    us(434, "VA", EASTERN),
    us(435, "UT", MOUNTAIN),
    us(436, "OH", EASTERN),
    ca(437, "ON", TORONTO),
    ca(438, "QC", TORONTO),
    us(440, "OH", EASTERN),
    us(442, "CA", PACIFIC),
    us(443, "MD", EASTERN),
    us(445, "PA", EASTERN),
    us(447, "IL", CENTRAL),
    us(448, "FL", CENTRAL),
    ca(450, "QC", TORONTO),
    us(457, "LA", CENTRAL),
    us(458, "OR", PACIFIC),
    us(463, "IN", INDIANA),
    us(464, "IL", CENTRAL),
    ca(468, "QC", TORONTO),
    us(469, "TX", CENTRAL),
    us(470, "GA", EASTERN),
    us(472, "NC", EASTERN),
    ca(474, "SK", REGINA),
    us(475, "CT", EASTERN),
    us(478, "GA", EASTERN),
    us(479, "AR", CENTRAL),
    us(480, "AZ", ARIZONA),
    us(483, "AL", CENTRAL),
    us(484, "PA", EASTERN),
    us(501, "AR", CENTRAL),
    us(502, "KY", LOUISVILLE),
    us(503, "OR", PACIFIC),
    us(504, "LA", CENTRAL),
    us(505, "NM", MOUNTAIN),
    ca(506, "NB", MONCTON),
    us(507, "MN", CENTRAL),
    us(508, "MA", EASTERN),
    us(509, "WA", PACIFIC),
    us(510, "CA", PACIFIC),
    us(512, "TX", CENTRAL),
    us(513, "OH", EASTERN),
    ca(514, "QC", TORONTO),
    us(515, "IA", CENTRAL),
    us(516, "NY", EASTERN),
    us(517, "MI", DETROIT),
    us(518, "NY", EASTERN),
    ca(519, "ON", TORONTO),
    us(520, "AZ", ARIZONA),
    us(530, "CA", PACIFIC),
    us(531, "NE", CENTRAL),
    us(534, "WI", CENTRAL),
    us(539, "OK", CENTRAL),
    us(540, "VA", EASTERN),
    us(541, "OR", PACIFIC),
    ca(548, "ON", TORONTO),
    us(551, "NJ", EASTERN),
    us(557, "MO", CENTRAL),
    us(559, "CA", PACIFIC),
    us(561, "FL", EASTERN),
    us(562, "CA", PACIFIC),
    us(563, "IA", CENTRAL),
    us(564, "WA", PACIFIC),
    us(567, "OH", EASTERN),
    us(570, "PA", EASTERN),
    us(571, "VA", EASTERN),
    us(572, "OK", CENTRAL),
    us(573, "MO", CENTRAL),
    us(574, "IN", INDIANA),
    us(575, "NM", MOUNTAIN),
    ca(579, "QC", TORONTO),
    us(580, "OK", CENTRAL),
    ca(581, "QC", TORONTO),
    us(582, "PA", EASTERN),
    ca(584, "MB", WINNIPEG),
    us(585, "NY", EASTERN),
    us(586, "MI", DETROIT),
    ca(587, "AB", EDMONTON),
    us(601, "MS", CENTRAL),
    us(602, "AZ", ARIZONA),
    us(603, "NH", EASTERN),
    ca(604, "BC", VANCOUVER),
    us(605, "SD", CENTRAL),
    us(606, "KY", EASTERN),
    us(607, "NY", EASTERN),
    us(608, "WI", CENTRAL),
    us(609, "NJ", EASTERN),
    us(610, "PA", EASTERN),
    us(612, "MN", CENTRAL),
    ca(613, "ON", TORONTO),
    us(614, "OH", EASTERN),
    us(615, "TN", CENTRAL),
    us(616, "MI", DETROIT),
    us(617, "MA", EASTERN),
    us(618, "IL", CENTRAL),
    us(619, "CA", PACIFIC),
    us(620, "KS", CENTRAL),
    us(623, "AZ", ARIZONA),
    us(624, "NY", EASTERN),
    us(626, "CA", PACIFIC),
    us(628, "CA", PACIFIC),
    us(629, "TN", CENTRAL),
    us(630, "IL", CENTRAL),
    us(631, "NY", EASTERN),
    us(636, "MO", CENTRAL),
    ca(639, "SK", REGINA),
    us(640, "NJ", EASTERN),
    us(641, "IA", CENTRAL),
    us(645, "FL", EASTERN),
    us(646, "NY", EASTERN),
    ca(647, "ON", TORONTO),
    us(650, "CA", PACIFIC),
    us(651, "MN", CENTRAL),
    us(656, "FL", EASTERN),
    us(657, "CA", PACIFIC),
    us(659, "AL", CENTRAL),
    us(660, "MO", CENTRAL),
    us(661, "CA", PACIFIC),
    us(662, "MS", CENTRAL),
    us(667, "MD", EASTERN),
    us(669, "CA", PACIFIC),
    us(670, "MP", SAIPAN),
    us(671, "GU", GUAM),
    ca(672, "BC", VANCOUVER),
    us(678, "GA", EASTERN),
    us(679, "MI", DETROIT),
    us(680, "NY", EASTERN),
    us(681, "WV", EASTERN),
    us(682, "TX", CENTRAL),
    ca(683, "ON", TORONTO),
    us(684, "AS", PAGO_PAGO),
    us(686, "VA", EASTERN),
    us(689, "FL", EASTERN),
    us(701, "ND", CENTRAL),
    us(702, "NV", PACIFIC),
    us(703, "VA", EASTERN),
    us(704, "NC", EASTERN),
    ca(705, "ON", TORONTO),
    us(706, "GA", EASTERN),
    us(707, "CA", PACIFIC),
    us(708, "IL", CENTRAL),
    ca(709, "NL", ST_JOHNS),
    us(712, "IA", CENTRAL),
    us(713, "TX", CENTRAL),
    us(714, "CA", PACIFIC),
    us(715, "WI", CENTRAL),
    us(716, "NY", EASTERN),
    us(717, "PA", EASTERN),
    us(718, "NY", EASTERN),
    us(719, "CO", MOUNTAIN),
    us(720, "CO", MOUNTAIN),
    us(724, "PA", EASTERN),
    us(725, "NV", PACIFIC),
    us(726, "TX", CENTRAL),
    us(727, "FL", EASTERN),
    us(728, "FL", EASTERN),
    us(730, "IL", CENTRAL),
    us(731, "TN", CENTRAL),
    us(732, "NJ", EASTERN),
    us(734, "MI", DETROIT),
    us(737, "TX", CENTRAL),
    us(738, "CA", PACIFIC),
    us(740, "OH", EASTERN),
    ca(742, "ON", TORONTO),
    us(743, "NC", EASTERN),
    us(747, "CA", PACIFIC),
    us(748, "CO", MOUNTAIN),
    ca(753, "ON", TORONTO),
    us(754, "FL", EASTERN),
    us(757, "VA", EASTERN),
    us(760, "CA", PACIFIC),
    us(762, "GA", EASTERN),
    us(763, "MN", CENTRAL),
    us(765, "IN", INDIANA),
    us(769, "MS", CENTRAL),
    us(770, "GA", EASTERN),
    us(771, "DC", EASTERN),
    us(772, "FL", EASTERN),
    us(773, "IL", CENTRAL),
    us(774, "MA", EASTERN),
    us(775, "NV", PACIFIC),
    ca(778, "BC", VANCOUVER),
    us(779, "IL", CENTRAL),
    ca(780, "AB", EDMONTON),
    us(781, "MA", EASTERN),
    ca(782, "NS", HALIFAX),
    us(785, "KS", CENTRAL),
    us(786, "FL", EASTERN),
    us(787, "PR", PUERTO_RICO),
    us(801, "UT", MOUNTAIN),
    us(802, "VT", EASTERN),
    us(803, "SC", EASTERN),
    us(804, "VA", EASTERN),
    us(805, "CA", PACIFIC),
    us(806, "TX", CENTRAL),
    ca(807, "ON", TORONTO),
    us(808, "HI", HAWAII),
    us(810, "MI", DETROIT),
    us(812, "IN", INDIANA),
    us(813, "FL", EASTERN),
    us(814, "PA", EASTERN),
    us(815, "IL", CENTRAL),
    us(816, "MO", CENTRAL),
    us(817, "TX", CENTRAL),
    us(818, "CA", PACIFIC),
    ca(819, "QC", TORONTO),
    us(820, "CA", PACIFIC),
    us(821, "SC", EASTERN),
    ca(825, "AB", EDMONTON),
    us(826, "VA", EASTERN),
    us(828, "NC", EASTERN),
    us(830, "TX", CENTRAL),
    us(831, "CA", PACIFIC),
    us(832, "TX", CENTRAL),
    us(838, "NY", EASTERN),
    us(839, "SC", EASTERN),
    us(840, "CA", PACIFIC),
    us(843, "SC", EASTERN),
    us(845, "NY", EASTERN),
    us(847, "IL", CENTRAL),
    us(848, "NJ", EASTERN),
    us(850, "FL", CENTRAL),
    us(854, "SC", EASTERN),
    us(856, "NJ", EASTERN),
    us(857, "MA", EASTERN),
    us(858, "CA", PACIFIC),
    us(859, "KY", EASTERN),
    us(860, "CT", EASTERN),
    us(861, "IL", CENTRAL),
    us(862, "NJ", EASTERN),
    us(863, "FL", EASTERN),
    us(864, "SC", EASTERN),
    us(865, "TN", EASTERN),
    us(870, "AR", CENTRAL),
    us(872, "IL", CENTRAL),
    ca(873, "QC", TORONTO),
    us(878, "PA", EASTERN),
    ca(879, "NL", ST_JOHNS),
    us(901, "TN", CENTRAL),
    ca(902, "NS", HALIFAX),
    us(903, "TX", CENTRAL),
    us(904, "FL", EASTERN),
    ca(905, "ON", TORONTO),
    us(906, "MI", DETROIT),
    us(907, "AK", ALASKA),
    us(908, "NJ", EASTERN),
    us(909, "CA", PACIFIC),
    us(910, "NC", EASTERN),
    us(912, "GA", EASTERN),
    us(913, "KS", CENTRAL),
    us(914, "NY", EASTERN),
    us(915, "TX", MOUNTAIN),
    us(916, "CA", PACIFIC),
    us(917, "NY", EASTERN),
    us(918, "OK", CENTRAL),
    us(919, "NC", EASTERN),
    us(920, "WI", CENTRAL),
    us(924, "MN", CENTRAL),
    us(925, "CA", PACIFIC),
    us(928, "AZ", ARIZONA),
    us(929, "NY", EASTERN),
    us(930, "IN", INDIANA),
    us(931, "TN", CENTRAL),
    us(934, "NY", EASTERN),
    us(936, "TX", CENTRAL),
    us(937, "OH", EASTERN),
    us(938, "AL", CENTRAL),
    us(939, "PR", PUERTO_RICO),
    us(940, "TX", CENTRAL),
    us(941, "FL", EASTERN),
    ca(942, "ON", TORONTO),
    us(943, "GA", EASTERN),
    us(945, "TX", CENTRAL),
    us(947, "MI", DETROIT),
    us(948, "VA", EASTERN),
    us(949, "CA", PACIFIC),
    us(951, "CA", PACIFIC),
    us(952, "MN", CENTRAL),
    us(954, "FL", EASTERN),
    us(956, "TX", CENTRAL),
    us(959, "CT", EASTERN),
    us(970, "CO", MOUNTAIN),
    us(971, "OR", PACIFIC),
    us(972, "TX", CENTRAL),
    us(973, "NJ", EASTERN),
    us(975, "MO", CENTRAL),
    us(978, "MA", EASTERN),
    us(979, "TX", CENTRAL),
    us(980, "NC", EASTERN),
    us(983, "CO", MOUNTAIN),
    us(984, "NC", EASTERN),
    us(985, "LA", CENTRAL),
    us(986, "ID", BOISE),
    us(989, "MI", DETROIT),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_without_duplicates() {
        for pair in TABLE.windows(2) {
            assert!(
                pair[0].npa < pair[1].npa,
                "table out of order or duplicated at {} / {}",
                pair[0].npa,
                pair[1].npa
            );
        }
    }

    #[test]
    fn every_entry_is_well_formed() {
        for info in TABLE {
            let n = info.npa;
            assert!((200..=999).contains(&n), "{n} out of range");
            assert!(n / 100 >= 2, "{n} has an invalid first digit");
            // NPAs with 9 as middle digit are reserved for expansion.
            assert_ne!(n / 10 % 10, 9, "{n} has 9 as its middle digit");
            // Easily recognisable codes (N11, 555, 800, ...) are never geographic.
            assert_ne!(n / 10 % 10, n % 10, "{n} is an easily recognisable code");
            assert!(!is_toll_free(n), "{n} is toll-free");
            assert!(
                is_known_region(info.region),
                "{n}: unknown region {}",
                info.region
            );
            assert_eq!(info.region.len(), 2);
            let expected = match info.country {
                Country::Us => US_REGIONS,
                Country::Ca => CA_REGIONS,
                Country::Other => panic!("{n}: table holds no Other entries"),
            };
            assert!(
                expected.contains(&info.region),
                "{n}: region {} does not belong to {:?}",
                info.region,
                info.country
            );
            assert_eq!(npa_info(n), Some(info));
        }
    }

    #[test]
    fn covers_the_expected_number_of_codes() {
        let us = TABLE.iter().filter(|i| i.country == Country::Us).count();
        let ca = TABLE.iter().filter(|i| i.country == Country::Ca).count();
        assert!(us >= 330, "only {us} US codes");
        assert!(ca >= 50, "only {ca} Canadian codes");
        // Every US state, DC and territory has at least one code.
        for region in US_REGIONS {
            assert!(
                TABLE.iter().any(|i| i.region == *region),
                "no area code for {region}"
            );
        }
    }

    fn check(npa: u16, country: Country, region: &str, tz: Tz) {
        let info = npa_info(npa).unwrap_or_else(|| panic!("{npa} missing"));
        assert_eq!(info.npa, npa);
        assert_eq!(info.country, country, "{npa} country");
        assert_eq!(info.region, region, "{npa} region");
        assert_eq!(info.tz, tz, "{npa} tz");
    }

    #[test]
    fn spot_checks() {
        use Country::{Ca, Us};
        check(212, Us, "NY", Tz::America__New_York);
        check(213, Us, "CA", Tz::America__Los_Angeles);
        check(305, Us, "FL", Tz::America__New_York);
        check(850, Us, "FL", Tz::America__Chicago);
        check(312, Us, "IL", Tz::America__Chicago);
        check(303, Us, "CO", Tz::America__Denver);
        check(602, Us, "AZ", Tz::America__Phoenix);
        check(808, Us, "HI", Tz::Pacific__Honolulu);
        check(907, Us, "AK", Tz::America__Anchorage);
        check(202, Us, "DC", Tz::America__New_York);
        check(787, Us, "PR", Tz::America__Puerto_Rico);
        check(939, Us, "PR", Tz::America__Puerto_Rico);
        check(416, Ca, "ON", Tz::America__Toronto);
        check(405, Us, "OK", Tz::America__Chicago);
        check(915, Us, "TX", Tz::America__Denver);
        check(520, Us, "AZ", Tz::America__Phoenix);
        check(208, Us, "ID", Tz::America__Boise);
        check(906, Us, "MI", Tz::America__Detroit);
        check(605, Us, "SD", Tz::America__Chicago);
        check(702, Us, "NV", Tz::America__Los_Angeles);
        check(604, Ca, "BC", Tz::America__Vancouver);
        check(306, Ca, "SK", Tz::America__Regina);
        check(709, Ca, "NL", Tz::America__St_Johns);
        check(514, Ca, "QC", Tz::America__Toronto);
        // NYC overlays and other overlays.
        for npa in [332, 347, 646, 917, 929] {
            check(npa, Us, "NY", Tz::America__New_York);
        }
        check(628, Us, "CA", Tz::America__Los_Angeles);
        check(726, Us, "TX", Tz::America__Chicago);
        check(445, Us, "PA", Tz::America__New_York);
    }

    #[test]
    fn non_geographic_codes_are_absent() {
        for npa in [
            800, 833, 844, 855, 866, 877, 888, 900, 555, 411, 911, 500, 600, 700, 0, 199, 1000,
        ] {
            assert_eq!(npa_info(npa), None, "{npa} should not be geographic");
        }
        // Left out on purpose (see module docs).
        assert_eq!(npa_info(867), None);
        assert_eq!(npa_info(876), None);
        assert_eq!(npa_info(809), None);
    }

    #[test]
    fn toll_free() {
        for npa in [800, 833, 844, 855, 866, 877, 888] {
            assert!(is_toll_free(npa), "{npa}");
        }
        for npa in [822, 880, 899, 900, 212, 0] {
            assert!(!is_toll_free(npa), "{npa}");
        }
    }

    #[test]
    fn nxx_validity() {
        assert!(is_valid_nxx(555));
        assert!(is_valid_nxx(200));
        assert!(is_valid_nxx(999));
        assert!(is_valid_nxx(212));
        assert!(!is_valid_nxx(411));
        assert!(!is_valid_nxx(211));
        assert!(!is_valid_nxx(911));
        assert!(!is_valid_nxx(123));
        assert!(!is_valid_nxx(0));
        assert!(!is_valid_nxx(99));
        assert!(!is_valid_nxx(1000));
    }

    #[test]
    fn known_regions() {
        for region in [
            "NY", "DC", "PR", "VI", "GU", "MP", "AS", "ON", "QC", "PE", "YT",
        ] {
            assert!(is_known_region(region), "{region}");
        }
        for region in ["", "ny", "XX", "JM", "NYC", "UK"] {
            assert!(!is_known_region(region), "{region}");
        }
    }
}
