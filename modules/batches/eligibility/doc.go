// Package eligibility decides whether a candidate may apply for a level of an occupation (资格审核,
// step 3 of the lifecycle): which application condition (申报条件) of the applicable national standard
// the candidate meets, or why none is met.
//
// # Rules are data
//
// A RuleSet is a versioned, JSON-serialisable list of conditions per level. For every level it offers
// alternative Paths — the numbered items "具备以下条件之一者" of a standard — and a path passes when all
// of its Conditions hold. Conditions are of a closed set of kinds (see Kind); a rule set naming an unknown
// kind is refused when it is loaded, so an edition uploaded by a platform admin cannot silently mean
// something the engine does not do. Every Decision lists each clause that was checked, passed or failed,
// with its reason in Chinese and English, and names the rule set and revision used.
//
// # Editions
//
// Two default rule sets are embedded, one per generation of national standards:
//
//   - "std-2018": standards compiled under 《国家职业技能标准编制技术规程（2018年版）》, the technical
//     rules the Beijing notice 京人社职鉴发〔2020〕3号 names and under which most standards in use were
//     written (电工, 焊工 2018 …). Level 4 after level 5 + 4 years, level 3 after level 4 + 5 years.
//   - "std-2023": standards revised after the 2021–2022 reforms (the 2022 classification, the
//     eight-level ladder of 人社部发〔2022〕14号) under the 2023 technical rules: level 4 after
//     level 5 + 2 years, level 3 after level 4 + 4 years. Our reading of these newer standards is that the
//     other conditions are unchanged; an institution whose standard says otherwise uploads its own set.
//     Registry.ForStandardYear makes it the default from edition year 2024, the first full year of
//     standards written to the 2023 rules; callers that know which rules a standard follows pick by ID.
//
// Both carry the cross-cutting policy of the 2020–2022 opinions on connecting professional titles and
// skill levels (the national implementation opinions and Zhejiang's 2022 measures in the seeds): title
// holders map across (助理级 → 三级, 中级 → 二级, 副高级 → 一级, 正高级 → 特级技师), a promotion needs
// one year after the previous level was obtained, and a graduation certificate in a related major
// exempts the theory exam. Direct recognition (直接认定) and fast-track (破格) are paths of their own
// routes; they never yield "eligible": with evidence attached they go to manual review, without it they
// are ineligible. 特级技师 and 首席技师 are enterprise appointments, so their paths always go to review.
//
// Evaluation is pure and deterministic: the same rule set, applicant and asOf date give the same Decision.
package eligibility
