/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The three symbols of the blocks runtime that RAII_VAR needs under clang.
 *
 * Asterisk's RAII_VAR is a GCC nested function under GCC and a block (clang's
 * "^{ }") under clang, and clang is the compiler that instruments for
 * libFuzzer. A block RAII_VAR makes lives on the stack and is never copied,
 * so of the blocks runtime (libBlocksRuntime, not in the sandbox) only this
 * much is used: the stack block's class pointer, and the release of a
 * __block variable at the end of its scope -- which does nothing for a
 * variable that never moved to the heap. Copying a block would need the real
 * runtime: _Block_object_assign aborts rather than pretend.
 */

#include <stdio.h>
#include <stdlib.h>

void *_NSConcreteStackBlock[32];
void *_NSConcreteGlobalBlock[32];

void _Block_object_dispose(const void *object, const int flags);
void _Block_object_assign(void *destination, const void *object, const int flags);

void _Block_object_dispose(const void *object, const int flags)
{
	/* A stack __block variable: nothing was allocated for it. */
}

void _Block_object_assign(void *destination, const void *object, const int flags)
{
	fprintf(stderr, "fuzz: a block was copied; this build has no blocks runtime\n");
	abort();
}
