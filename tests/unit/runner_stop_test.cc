// StopMatcher: stop strings over streamed text, held back while they may still match.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runner/stop.h"

namespace cria::runner {
namespace {

TEST(StopMatcher, NoStopsPassesEverythingThrough) {
  StopMatcher m({});
  EXPECT_EQ(m.push("hello "), "hello ");
  EXPECT_EQ(m.push("world"), "world");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, HoldsBackAPartialPrefix) {
  StopMatcher m({"</s>"});
  EXPECT_EQ(m.push("Hello <"), "Hello ");
  EXPECT_EQ(m.push("/"), "");
  EXPECT_FALSE(m.stopped());
  // Not the stop after all: the held text comes out with what follows.
  EXPECT_EQ(m.push("b> ok"), "</b> ok");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, StopSpanningPushesEndsGeneration) {
  StopMatcher m({"<|end|>"});
  EXPECT_EQ(m.push("answer <|"), "answer ");
  EXPECT_EQ(m.push("en"), "");
  EXPECT_EQ(m.push("d|> trailing"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("more"), "");  // nothing after the stop
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, TextBeforeTheStopIsEmittedAndNothingAfter) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.push("one two STOP three"), "one two ");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("four"), "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
  StopMatcher m({"World", "lo"});
  EXPECT_EQ(m.push("Hello World"), "Hel");
  EXPECT_TRUE(m.stopped());

  StopMatcher n({"\n\n", "User:"});
  EXPECT_EQ(n.push("a\n"), "a");  // "\n" may start "\n\n"
  EXPECT_EQ(n.push("U"), "\n");   // "\nU" starts neither; "U" may start "User:"
  EXPECT_EQ(n.push("se"), "");
  EXPECT_EQ(n.push("r:"), "");
  EXPECT_TRUE(n.stopped());
}

TEST(StopMatcher, HoldsTheLongestPossiblePrefixAcrossStops) {
  StopMatcher m({"abc", "bcd"});
  // "ab" could start "abc"; "b" could start "bcd": the longest ("ab") is held.
  EXPECT_EQ(m.push("xab"), "x");
  EXPECT_EQ(m.push("cd"), "");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, FlushReturnsHeldTextAtTheEnd) {
  StopMatcher m({"###"});
  EXPECT_EQ(m.push("total: 5 #"), "total: 5 ");
  EXPECT_EQ(m.push("#"), "");
  EXPECT_EQ(m.flush(), "##");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.flush(), "");  // nothing twice
}

TEST(StopMatcher, EmptyStopStringsAreIgnored) {
  StopMatcher m({"", "x"});
  EXPECT_EQ(m.push("abc"), "abc");
  EXPECT_FALSE(m.stopped());
}

}  // namespace
}  // namespace cria::runner
