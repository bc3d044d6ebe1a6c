// core/src/annotations.cpp: type names, validation and value comparison.
#include <strata/errors.h>
#include <strata/stores/annotation_store.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace strata {
namespace {

using Op = AnnotationQuery::Op;

TEST(Annotations, TypeNamesRoundTripCaseInsensitively) {
  for (auto type : {AnnotationType::String, AnnotationType::Double, AnnotationType::Long,
                    AnnotationType::Date, AnnotationType::Boolean}) {
    EXPECT_EQ(annotationTypeFromString(toString(type)), type);
  }
  EXPECT_STREQ(toString(AnnotationType::Date), "DATE");
  EXPECT_EQ(annotationTypeFromString("boolean"), AnnotationType::Boolean);
  EXPECT_EQ(annotationTypeFromString("Double"), AnnotationType::Double);
  EXPECT_FALSE(annotationTypeFromString("INTEGER").has_value());
  EXPECT_FALSE(annotationTypeFromString("").has_value());
}

TEST(Annotations, ValidateChecksKeyValuesAndTypes) {
  EXPECT_NO_THROW(validate(Annotation{"k", AnnotationType::Long, {int64_t{1}, int64_t{2}}}));
  EXPECT_NO_THROW(validate(Annotation{"k", AnnotationType::Date, {int64_t{0}}}));
  EXPECT_NO_THROW(validate(Annotation{"k", AnnotationType::String, {std::string()}}));
  EXPECT_THROW(validate(Annotation{"", AnnotationType::String, {std::string("v")}}), BadRequest);
  EXPECT_THROW(validate(Annotation{"k", AnnotationType::String, {}}), BadRequest);
  EXPECT_THROW(validate(Annotation{"k", AnnotationType::Double, {int64_t{1}}}), BadRequest);
  EXPECT_THROW(validate(Annotation{"k", AnnotationType::Long, {1.0}}), BadRequest);
  EXPECT_THROW(validate(Annotation{"k", AnnotationType::Boolean, {int64_t{1}}}), BadRequest);
}

TEST(Annotations, MatchesComparesWithinKinds) {
  EXPECT_TRUE(matches(std::string("b"), Op::Gt, std::string("a")));
  EXPECT_TRUE(matches(std::string("B"), Op::Lt, std::string("a")));  // bytes, not locale
  EXPECT_TRUE(matches(true, Op::Gt, false));
  EXPECT_TRUE(matches(true, Op::Eq, true));
  EXPECT_TRUE(matches(int64_t{3}, Op::Le, int64_t{3}));
  EXPECT_TRUE(matches(2.5, Op::Ne, 2.25));
  // Different kinds never compare, not even for Ne.
  EXPECT_FALSE(matches(std::string("1"), Op::Eq, int64_t{1}));
  EXPECT_FALSE(matches(std::string("1"), Op::Ne, int64_t{1}));
  EXPECT_FALSE(matches(true, Op::Eq, int64_t{1}));
  EXPECT_FALSE(matches(1.0, Op::Ne, false));
}

TEST(Annotations, LongsAndDoublesCompareExactly) {
  EXPECT_TRUE(matches(int64_t{2}, Op::Eq, 2.0));
  EXPECT_TRUE(matches(2.0, Op::Eq, int64_t{2}));
  EXPECT_TRUE(matches(int64_t{2}, Op::Lt, 2.5));
  EXPECT_TRUE(matches(2.5, Op::Gt, int64_t{2}));
  EXPECT_TRUE(matches(-1.5, Op::Lt, int64_t{-1}));
  EXPECT_TRUE(matches(-1.5, Op::Gt, int64_t{-2}));
  // 2^53 + 1 is not representable as a double: it must not equal 2^53.
  const int64_t big = (int64_t{1} << 53) + 1;
  EXPECT_FALSE(matches(big, Op::Eq, 9007199254740992.0));
  EXPECT_TRUE(matches(big, Op::Gt, 9007199254740992.0));
  EXPECT_TRUE(matches(std::numeric_limits<int64_t>::max(), Op::Lt, 1e19));
  EXPECT_TRUE(matches(std::numeric_limits<int64_t>::min(), Op::Gt, -1e19));
  EXPECT_TRUE(matches(std::numeric_limits<int64_t>::min(), Op::Eq, -9223372036854775808.0));
  // NaN compares with nothing.
  const double nan = std::nan("");
  for (auto op : {Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge}) {
    EXPECT_FALSE(matches(nan, op, 1.0));
    EXPECT_FALSE(matches(int64_t{1}, op, nan));
  }
}

TEST(Annotations, BlobsAreATypeOfTheirOwnAndNeverMatch) {
  EXPECT_STREQ(toString(AnnotationType::Blob), "BLOB");
  EXPECT_NO_THROW(validate(Annotation{"k", AnnotationType::Blob, {AnnotationBlob{std::string("\0x", 2)}}}));
  EXPECT_THROW(validate(Annotation{"k", AnnotationType::Blob, {std::string("x")}}), BadRequest);
  for (auto op : {Op::Eq, Op::Ne, Op::Lt, Op::Ge})
    EXPECT_FALSE(matches(AnnotationBlob{"x"}, op, AnnotationBlob{"x"}));
}

TEST(Annotations, SortOrderIsTotalAcrossKinds) {
  const double nan = std::nan("");
  // boolean < number (NaN first) < string < blob.
  const std::vector<AnnotationValue> ordered{false,
                                             true,
                                             nan,
                                             -1e300,
                                             int64_t{-1},
                                             0.5,
                                             int64_t{1},
                                             std::string(""),
                                             std::string("a"),
                                             AnnotationBlob{""},
                                             AnnotationBlob{"a"}};
  for (std::size_t i = 0; i < ordered.size(); ++i)
    for (std::size_t j = 0; j < ordered.size(); ++j) {
      const int c = compareAnnotationValues(ordered[i], ordered[j]);
      EXPECT_EQ(c < 0, i < j) << i << " " << j;
      EXPECT_EQ(c == 0, i == j) << i << " " << j;
    }
  EXPECT_EQ(compareAnnotationValues(int64_t{2}, 2.0), 0);
}

TEST(Annotations, ATargetSortsByItsSmallestOrLargestValueAndMissingLast) {
  const Annotation a{"k", AnnotationType::Long, {int64_t{5}, int64_t{1}, int64_t{9}}};
  EXPECT_EQ(annotationSortValue(&a, false), AnnotationValue(int64_t{1}));
  EXPECT_EQ(annotationSortValue(&a, true), AnnotationValue(int64_t{9}));
  EXPECT_FALSE(annotationSortValue(nullptr, false));
  const std::optional<AnnotationValue> one = AnnotationValue(int64_t{1}), none;
  for (bool descending : {false, true}) {
    EXPECT_TRUE(annotationSortsBefore(one, "z", none, "a", descending));
    EXPECT_FALSE(annotationSortsBefore(none, "a", one, "z", descending));
    // Ties by target, ascending, in both directions.
    EXPECT_TRUE(annotationSortsBefore(one, "a", one, "b", descending));
    EXPECT_TRUE(annotationSortsBefore(none, "a", none, "b", descending));
  }
}

}  // namespace
}  // namespace strata
