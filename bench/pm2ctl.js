// SPDX-License-Identifier: MIT
// bench/pm2ctl.js: send one request (stop, start, restart) to the running
// pm2 daemon through pm2's own API, and print the CLOCK_MONOTONIC time in
// nanoseconds at which it was sent. Node's hrtime is libuv's uv_hrtime,
// clock_gettime(CLOCK_MONOTONIC), the clock the bench children stamp with,
// so the stop latency excludes the seconds node itself takes to start
// (which `pm2 stop` would add).
//
//   PM2_HOME=... PM2_MODULE=.../node_modules/pm2 node pm2ctl.js stop NAME
'use strict';
const pm2 = require(process.env.PM2_MODULE);
const [cmd, name] = process.argv.slice(2);

pm2.connect((err) => {
  if (err) {
    console.error(String(err));
    process.exit(2);
  }
  const t = process.hrtime.bigint();
  pm2[cmd](name, (err2) => {
    if (err2) {
      console.error(String(err2));
      pm2.disconnect();
      process.exit(3);
    }
    console.log(String(t));
    pm2.disconnect();
  });
});
