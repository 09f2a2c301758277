# Writes metafor_lee2004.json and data/lee2004.csv. Run from the repository root:
#   Rscript tests/reference/meta/metafor_lee2004.R
# metafor rma.mh (OR, RR, RD), rma.peto and rma.uni (FE and random DL/REML/ML/PM/SJ/HE/HS/EB, each
# with test = "z" and test = "knha"), with predict() intervals, weights() and Q-profile confint().
source("tests/reference/meta/_common.R")
metafor_fixture("lee2004", "metafor_lee2004.R")
