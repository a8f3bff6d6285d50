// Runs a fuzz target over files (the corpus in tests/fuzz/corpus/<target>/), for
// builds without libFuzzer: the normal test suite replays every corpus input, so a
// crafted input added there stays a regression test.
//   fuzz_restore_replay tests/fuzz/corpus/restore
//   fuzz_restore_replay --write-seeds tests/fuzz/corpus/restore   (regenerates the seeds)
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
void fuzz_write_seeds(const char* dir);  // defined by each target

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write-seeds") {  // regenerates the corpus seeds
    fuzz_write_seeds(argv[2]);
    return 0;
  }
  std::size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(argv[i])) {
      for (const auto& f : std::filesystem::directory_iterator(argv[i])) files.push_back(f.path());
    } else {
      files.emplace_back(argv[i]);
    }
    for (const auto& path : files) {
      std::ifstream in(path, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++inputs;
    }
  }
  std::printf("replayed %zu inputs\n", inputs);
  return inputs == 0 ? 1 : 0;
}
