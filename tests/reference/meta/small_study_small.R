# Writes small_study_small.json (and data/ss_symmetric.csv, ss_k3.csv, ss_ties.csv,
# ss_homogeneous.csv). Run from the repository root:
#   Rscript tests/reference/meta/small_study_small.R
# Constructed edge cases: a symmetric funnel (trim and fill imputes nothing), k = 3 (the fewest
# studies Egger's test takes; one residual df), tied variances (Begg's test by the normal
# approximation) and homogeneous odds ratios (tau2 = 0).
source("tests/reference/meta/_small_study.R")

ss_fixture("small_study_small.R", list(
  symmetric = function(d) list(small_study_analysis(d, "GEN", "FE"),
                               small_study_analysis(d, "GEN", "REML")),
  k3 = function(d) list(small_study_analysis(d, "GEN", "FE"),
                        small_study_analysis(d, "GEN", "DL")),
  ties = function(d) list(small_study_analysis(d, "GEN", "FE")),
  homogeneous = function(d) list(small_study_analysis(d, "OR", "FE"),
                                 small_study_analysis(d, "OR", "REML"))))
