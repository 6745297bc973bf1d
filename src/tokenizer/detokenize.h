// Token ids back to bytes.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/vocab.h"

namespace cria::tokenizer {

// The bytes of every token, as llama.cpp's token_to_piece with special=true:
// control, unknown and user-defined tokens as their text, U+2581 as a space
// (SentencePiece, WordPiece), <0xXX> as its byte, byte-level BPE mapped back.
// Unused and undefined tokens give "".
std::vector<std::string> build_pieces(const Vocab& v);

// clean_up_tokenization_spaces as llama.cpp applies it: " ?", " !", " .",
// " ," lose the space, a lone " ' " closes up, " 's", " 'm", " 're", " 've"
// lose the space.
void clean_up_spaces(std::string& text);

}  // namespace cria::tokenizer
