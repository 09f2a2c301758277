# Writes small_study_hackshaw1998.json (and data/ss_hackshaw1998.csv). Run from the repository
# root:  Rscript tests/reference/meta/small_study_hackshaw1998.R
# Passive smoking and lung cancer (dat.hackshaw1998, k = 37, log OR given as yi and vi), the
# trim-and-fill example of metafor's help page: Egger, Begg and trim and fill, FE, REML and DL.
source("tests/reference/meta/_small_study.R")

ss_fixture("small_study_hackshaw1998.R", list(hackshaw1998 = function(d) list(
  small_study_analysis(d, "GEN", "FE"), small_study_analysis(d, "GEN", "REML"),
  small_study_analysis(d, "GEN", "DL"))))
