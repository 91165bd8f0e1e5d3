// The peer: a bare grpc-js server answering UserService.GetUser with a fixed user,
// same generated code and message as the users service, no kit, no database.
import * as grpc from '@grpc/grpc-js';
import { UserServiceService } from '../../packages/contracts/dist/users.js';

const user = {
  id: '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69',
  name: 'Bench User',
  email: 'bench@example.com',
  createTime: new Date(),
  updateTime: new Date(),
  version: 1,
};
const server = new grpc.Server();
server.addService(UserServiceService, {
  getUser: (_call, callback) => callback(null, { user }),
  batchGetUsers: (_call, callback) => callback(null, { users: [user] }),
  listUsers: (call) => call.end(),
  createUser: (_call, callback) => callback(null, { user }),
});
server.bindAsync(`127.0.0.1:${process.argv[2]}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
