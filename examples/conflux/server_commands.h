// The server commands of the `conflux` program.
#pragma once

extern const char* kServeUsage;
int serve_command(int argc, char** argv);
int token_command(int argc, char** argv);
int export_command(int argc, char** argv);
int import_command(int argc, char** argv);
